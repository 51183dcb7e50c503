namespace LogStore.Storage.Replication.Fetching;

/// <summary>
/// How a follower fetches from its leaders (Kafka's <c>replica.fetch.*</c> broker settings). Validated by
/// <see cref="Validate"/> when a <see cref="ReplicaFetcherManager"/> is made.
/// </summary>
internal sealed class ReplicaFetcherOptions
{
    /// <summary>This node's id, sent as the fetch's replica id (Kafka's <c>node.id</c>). Required, 0 or more.</summary>
    public required int NodeId { get; init; }

    /// <summary>The most bytes asked per partition in one fetch; a larger batch still comes whole. Default 1 MiB
    /// (<c>replica.fetch.max.bytes</c>).</summary>
    public int MaxBytesPerPartition { get; init; } = 1 << 20;

    /// <summary>The most bytes asked in one fetch response. Default 10 MiB (<c>replica.fetch.response.max.bytes</c>).</summary>
    public int ResponseMaxBytes { get; init; } = 10 << 20;

    /// <summary>How long the leader may hold a fetch that finds nothing new. Default 500 ms
    /// (<c>replica.fetch.wait.max.ms</c>).</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The pause after a failed fetch or connection, and before retrying a partition whose leader answered with a
    /// retriable error. Default 1 s (<c>replica.fetch.backoff.ms</c>).</summary>
    public TimeSpan Backoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The pause before asking again a leader that answered UNKNOWN_LEADER_EPOCH or NOT_LEADER_OR_FOLLOWER (capped
    /// at <see cref="Backoff"/>). After a leader change every node applies the same committed image, the follower often a
    /// few milliseconds before the new leader: waiting a whole <see cref="Backoff"/> there held each failover's first
    /// acks=all write a second.
    /// Default 50 ms.</summary>
    public TimeSpan UnknownLeaderEpochBackoff { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How long one request may wait for its answer, on top of <see cref="MaxWait"/> for a fetch. Default 30 s
    /// (<c>request.timeout.ms</c>).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Opt-in durability: fsync what the last fetch appended before sending the next one, so the log end the leader
    /// learns from a fetch (and counts towards its high watermark) is on disk here — a group commit of one fetch's
    /// batches. Default false: Kafka's rule, where an acknowledged record is in every in-sync replica's page cache.
    /// </summary>
    public bool FlushBeforeFetch { get; init; }

    /// <summary>The client id the fetcher's connections announce.</summary>
    public string ClientId => $"replica-fetcher-{NodeId}";

    /// <exception cref="ArgumentOutOfRangeException">A value out of its range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(NodeId);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBytesPerPartition, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ResponseMaxBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxWait, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxWait, TimeSpan.FromMilliseconds(int.MaxValue));
        ArgumentOutOfRangeException.ThrowIfLessThan(Backoff, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(UnknownLeaderEpochBackoff, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero);
    }
}
