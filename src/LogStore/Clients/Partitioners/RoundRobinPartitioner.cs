namespace LogStore;

/// <summary>
/// Kafka's RoundRobinPartitioner: every record, keyed or not, goes to the next partition of its topic in turn, so load
/// spreads evenly whatever the keys (and the same key no longer stays in one partition). Thread-safe.
/// </summary>
public sealed class RoundRobinPartitioner : IPartitioner
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public int Partition(string topic, ReadOnlySpan<byte> keyBytes, bool keyIsNull, int partitionCount)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitionCount);
        lock (_lock)
        {
            ref int counter = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_counters, topic, out _);
            int next = counter;
            counter = next == int.MaxValue ? 0 : next + 1;
            return next % partitionCount;
        }
    }
}
