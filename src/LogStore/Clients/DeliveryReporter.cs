namespace LogStore.Clients;

/// <summary>
/// Calls a <c>Produce</c> handler with its typed <see cref="DeliveryReport{TKey, TValue}"/>. Batches and the sender are
/// not generic: they keep a pending delivery's handler and message as objects, and the producer's reporter (one shared
/// instance per key and value type) restores their types. The report is allocated here, so only for a message that has
/// a handler.
/// </summary>
internal abstract class DeliveryReporter
{
    /// <summary>Calls <paramref name="handler"/> with the report of <paramref name="message"/>.</summary>
    public abstract void Report(object handler, object message, TopicPartition partition, long offset, DateTimeOffset timestamp,
        LogStoreException? error);
}

/// <summary>The <see cref="DeliveryReporter"/> of a <see cref="Producer{TKey, TValue}"/>.</summary>
internal sealed class DeliveryReporter<TKey, TValue> : DeliveryReporter
{
    public static readonly DeliveryReporter<TKey, TValue> Instance = new();

    private DeliveryReporter() { }

    /// <inheritdoc/>
    public override void Report(object handler, object message, TopicPartition partition, long offset, DateTimeOffset timestamp,
        LogStoreException? error) =>
        ((Action<DeliveryReport<TKey, TValue>>)handler).Invoke(
            new DeliveryReport<TKey, TValue>(partition, offset, timestamp, error, (Message<TKey, TValue>)message));
}
