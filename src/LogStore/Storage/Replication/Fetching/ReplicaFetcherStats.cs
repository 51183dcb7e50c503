namespace LogStore.Storage.Replication.Fetching;

/// <summary>
/// Counters of one node's fetchers, for the broker's meter (Kafka's <c>ReplicaFetcherManager</c> metrics): truncations
/// by leader epoch, partition errors answered by leaders, and failed connections or requests. Thread-safe: updated with
/// interlocked increments, read at any time.
/// </summary>
internal sealed class ReplicaFetcherStats
{
    private long _truncations;
    private long _partitionErrors;
    private long _connectionFailures;

    /// <summary>Truncations that cut records (a log start moved past the log end counts too).</summary>
    public long Truncations => Interlocked.Read(ref _truncations);

    /// <summary>Partition errors the leaders answered (fencing, unknown epochs, out-of-range offsets, stops).</summary>
    public long PartitionErrors => Interlocked.Read(ref _partitionErrors);

    /// <summary>Connections lost or refused, and requests that failed on them.</summary>
    public long ConnectionFailures => Interlocked.Read(ref _connectionFailures);

    internal void Truncated() => Interlocked.Increment(ref _truncations);

    internal void PartitionError() => Interlocked.Increment(ref _partitionErrors);

    internal void ConnectionFailed() => Interlocked.Increment(ref _connectionFailures);
}
