namespace LogStore.Storage.Replication.Fetching;

/// <summary>Where a partition stands in its fetcher (Kafka's <c>ReplicaState</c> of a <c>PartitionFetchState</c>).</summary>
internal enum FetchPhase
{
    /// <summary>Asking OffsetForLeaderEpoch and cutting the diverged tail before fetching (a new or changed leader epoch).</summary>
    Truncating,

    /// <summary>Fetching from the log end.</summary>
    Fetching,

    /// <summary>The leader fenced this epoch (NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH): idle until the owner re-adds
    /// the partition with a newer epoch.</summary>
    Fenced,

    /// <summary>Stopped by a failure that retrying cannot cure (a corrupt batch from the leader, a storage error): idle
    /// until the owner re-adds the partition with a newer epoch.</summary>
    Failed,
}

/// <summary>
/// One partition's fetch state inside a <see cref="ReplicaFetcher"/>. A new instance replaces it whenever the owner
/// re-adds the partition with a newer epoch, so an answer to a request sent for the old one is recognised and dropped.
/// Thread-safety: mutated only under the fetcher's partition lock; <see cref="Lag"/> is read lock-free.
/// </summary>
internal sealed class PartitionFetchState(InitialFetchState initial)
{
    private long _lag;

    public PartitionReplica Replica { get; } = initial.Replica;

    public TopicPartition Id => Replica.Id;

    public int LeaderEpoch { get; } = initial.LeaderEpoch;

    public Guid TopicId { get; } = initial.TopicId;

    public FetchPhase Phase { get; set; } = FetchPhase.Truncating;

    /// <summary>The timestamp (of the fetcher's TimeProvider) before which the partition is not requested; 0 for none.</summary>
    public long DelayedUntil { get; set; }

    /// <summary>While truncating: the local epoch the leader did not know (answered undefined); the next request asks
    /// epoch 0 to learn whether the leader has epochs at all.</summary>
    public int? ProbedEpoch { get; set; }

    /// <summary>How far behind the leader this replica was at the last fetch: the leader's high watermark minus the
    /// local log end, never negative (Kafka's follower <c>ConsumerLag</c>).</summary>
    public long Lag
    {
        get => Volatile.Read(ref _lag);
        set => Volatile.Write(ref _lag, Math.Max(0, value));
    }

    /// <summary>True when the log changed since the last flush (<see cref="ReplicaFetcherOptions.FlushBeforeFetch"/>).</summary>
    public bool Unflushed { get; set; }

    public bool IsIdle => Phase is FetchPhase.Fenced or FetchPhase.Failed;

    public override string ToString() => $"{Id} epoch {LeaderEpoch} {Phase}";
}
