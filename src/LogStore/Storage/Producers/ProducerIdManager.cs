namespace LogStore.Storage.Producers;

/// <summary>
/// Hands out producer ids (Kafka's ProducerIdManager, for one node): to Kafka clients through InitProducerId and to the
/// broker's own idempotent producers, from one sequence so that no two producers share an id. Ids start from the clock
/// (4,096 per millisecond) so that a reopened broker never hands out an id whose batches are still in the log, without
/// persisting anything. Every id comes with epoch 0. Thread-safety: thread-safe, lock-free.
/// </summary>
internal sealed class ProducerIdManager(TimeProvider time)
{
    private long _next = time.GetUtcNow().ToUnixTimeMilliseconds() << 12;

    /// <summary>A producer id no producer of this broker had.</summary>
    public long NextProducerId() => Interlocked.Increment(ref _next);
}
