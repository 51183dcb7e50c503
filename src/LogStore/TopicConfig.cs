namespace LogStore;

/// <summary>
/// A topic's settings, with Kafka's names and defaults. Persisted in the data directory with the topic and
/// validated when the topic is created (<see cref="ArgumentOutOfRangeException"/> for a value out of range).
/// </summary>
public sealed class TopicConfig
{
    /// <summary>
    /// The most partitions a topic can have: 10,000. Kafka sets no hard bound, but every partition here costs a
    /// directory, its open segment files and index mappings, and a share of each open, close and recovery; 10,000 is
    /// the most one Broker is designed to keep open within a process's file limit (see the README's topic
    /// configuration), and it keeps a create, which holds the topic table's lock while it makes every partition, to
    /// seconds instead of the hours <see cref="int.MaxValue"/> partitions would take. Configuration files are checked
    /// against the same bound, so a damaged <c>partitions=</c> line is refused, never allocated.
    /// </summary>
    public const int MaxPartitions = 10_000;

    /// <summary>Number of partitions, 1 to <see cref="MaxPartitions"/>. Default 1 (Kafka's num.partitions).</summary>
    public int Partitions { get => _partitions; init => _partitions = value; }

    /// <summary>Copies of each partition across nodes. Default 1: a single node (Kafka's replication.factor).</summary>
    public int ReplicationFactor { get => _replicationFactor; init => _replicationFactor = value; }

    /// <summary>The fewest in-sync replicas (the leader included) with which an <see cref="Acks.All"/> write is accepted and
    /// the high watermark moves; below it such writes fail with <see cref="NotEnoughReplicasException"/> before anything is
    /// appended (Kafka's KIP-966 strict rule). 1 to <see cref="ReplicationFactor"/>. Default 1 (min.insync.replicas).</summary>
    public int MinInSyncReplicas { get; init; } = 1;

    /// <summary>Whether a replica outside the ISR may become leader when no in-sync one lives, at the price of losing the
    /// records only the ISR held. Default false: the partition stays without a leader (unclean.leader.election.enable).</summary>
    public bool UncleanLeaderElection { get; init; }

    /// <summary>Size at which the active segment is rolled. Default 1 GiB (segment.bytes).</summary>
    public long SegmentBytes { get; init; } = 1L << 30;

    /// <summary>Age after which the active segment is rolled, counted from its first batch. Default 7 days (segment.ms).</summary>
    public TimeSpan SegmentRollTime { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Bytes of log between two offset-index entries. Default 4096 (index.interval.bytes).</summary>
    public int IndexIntervalBytes { get; init; } = 4096;

    /// <summary>Size each segment's index is preallocated to; a full index rolls the segment. Default 10 MiB (segment.index.bytes).</summary>
    public int SegmentIndexBytes { get; init; } = 10 << 20;

    /// <summary>Age after which whole segments are deleted; null keeps them forever. Default 7 days (retention.ms).</summary>
    public TimeSpan? RetentionTime { get => _retentionTime; init => _retentionTime = value; }

    /// <summary>Partition size above which the oldest segments are deleted; null for no limit. Default null (retention.bytes).</summary>
    public long? RetentionBytes { get => _retentionBytes; init => _retentionBytes = value; }

    /// <summary>Delete old segments, compact by key, or both. Default <see cref="CleanupPolicy.Delete"/> (cleanup.policy).</summary>
    public CleanupPolicy CleanupPolicy { get => _cleanupPolicy; init => _cleanupPolicy = value; }

    /// <summary>How long a tombstone (a record with a null value) of a compacted topic stays readable after the cleaner
    /// first sees it, so that a consumer reading from the start sees the delete before it is dropped. Default 1 day
    /// (delete.retention.ms).</summary>
    public TimeSpan DeleteRetentionTime { get; init; } = TimeSpan.FromDays(1);

    /// <summary>The share of a compacted log's bytes that must be dirty (written since the last cleaning) before the
    /// cleaner rewrites it, from 0 to 1. Default 0.5 (min.cleanable.dirty.ratio).</summary>
    public double MinCleanableDirtyRatio { get; init; } = 0.5;

    /// <summary>Largest batch a partition accepts, in bytes. Default 1 MiB (max.message.bytes).</summary>
    public int MaxMessageBytes { get; init; } = 1 << 20;

    /// <summary>How far a record's timestamp may lie before the broker's clock when it is appended; an older one fails its
    /// batch with <see cref="InvalidTimestampException"/>. Applies to <see cref="TimestampType.CreateTime"/> batches only
    /// (a LogAppendTime batch is stamped by the log). Null for no bound. Default null, Kafka's Long.MAX_VALUE
    /// (message.timestamp.before.max.ms).</summary>
    public TimeSpan? MessageTimestampBeforeMax { get; init; }

    /// <summary>How far a record's timestamp may lie after the broker's clock when it is appended; a later one fails its
    /// batch with <see cref="InvalidTimestampException"/>, so that a timestamp in the far future cannot keep its segment,
    /// and every later one, from time retention. Applies to <see cref="TimestampType.CreateTime"/> batches only. Null for
    /// no bound. Default 1 hour, as since Kafka 4.0 (message.timestamp.after.max.ms; Long.MAX_VALUE before 4.0).</summary>
    public TimeSpan? MessageTimestampAfterMax { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Records appended after which a partition is fsynced; null leaves it to the OS. Default null (flush.messages).</summary>
    public long? FlushMessages { get; init; }

    /// <summary>Time after which unflushed appends are fsynced; null leaves it to the OS. Default null (flush.ms).</summary>
    public TimeSpan? FlushInterval { get; init; }

    // Fields, not auto-properties, so that CompactedForever and WithPartitions can set them on a copy (init accessors cannot).
    private int _partitions = 1;
    private int _replicationFactor = 1;
    private TimeSpan? _retentionTime = TimeSpan.FromDays(7);
    private long? _retentionBytes;
    private CleanupPolicy _cleanupPolicy = CleanupPolicy.Delete;

    /// <summary>A copy with cleanup.policy=compact and neither time nor size retention, every other setting kept
    /// (whatever settings are added later: it is a memberwise copy). For internal topics, see <c>InternalTopics</c>.</summary>
    internal TopicConfig CompactedForever()
    {
        var copy = (TopicConfig)MemberwiseClone();
        copy._cleanupPolicy = CleanupPolicy.Compact;
        copy._retentionTime = null;
        copy._retentionBytes = null;
        return copy;
    }

    /// <summary>A copy with <paramref name="replicationFactor"/> replicas, every other setting kept (a memberwise copy).</summary>
    internal TopicConfig WithReplicationFactor(int replicationFactor)
    {
        var copy = (TopicConfig)MemberwiseClone();
        copy._replicationFactor = replicationFactor;
        return copy;
    }

    /// <summary>A copy with <paramref name="partitions"/> partitions, every other setting kept (a memberwise copy).</summary>
    internal TopicConfig WithPartitions(int partitions)
    {
        var copy = (TopicConfig)MemberwiseClone();
        copy._partitions = partitions;
        return copy;
    }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Partitions, 1, nameof(Partitions));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Partitions, MaxPartitions, nameof(Partitions));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReplicationFactor, 1, nameof(ReplicationFactor));
        ArgumentOutOfRangeException.ThrowIfLessThan(MinInSyncReplicas, 1, nameof(MinInSyncReplicas));
        // A single copy is the store's default for every topic: a larger min ISR there is only refused once it could matter.
        if (ReplicationFactor > 1)
            ArgumentOutOfRangeException.ThrowIfGreaterThan(MinInSyncReplicas, ReplicationFactor, nameof(MinInSyncReplicas));
        ArgumentOutOfRangeException.ThrowIfLessThan(SegmentBytes, 14, nameof(SegmentBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(SegmentBytes, int.MaxValue, nameof(SegmentBytes));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(SegmentRollTime, TimeSpan.Zero, nameof(SegmentRollTime));
        ArgumentOutOfRangeException.ThrowIfNegative(IndexIntervalBytes, nameof(IndexIntervalBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(SegmentIndexBytes, 12 * 2, nameof(SegmentIndexBytes));
        if (RetentionTime is { } rt)
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(rt, TimeSpan.Zero, nameof(RetentionTime));
        if (RetentionBytes is { } rb)
            ArgumentOutOfRangeException.ThrowIfNegative(rb, nameof(RetentionBytes));
        if (CleanupPolicy is not (CleanupPolicy.Delete or CleanupPolicy.Compact or CleanupPolicy.CompactAndDelete))
            throw new ArgumentOutOfRangeException(nameof(CleanupPolicy), CleanupPolicy, "Unknown cleanup policy.");
        ArgumentOutOfRangeException.ThrowIfLessThan(DeleteRetentionTime, TimeSpan.Zero, nameof(DeleteRetentionTime));
        if (!(MinCleanableDirtyRatio is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(MinCleanableDirtyRatio), MinCleanableDirtyRatio, "The dirty ratio must be between 0 and 1.");
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMessageBytes, 61, nameof(MaxMessageBytes));
        if (FlushMessages is { } fm)
            ArgumentOutOfRangeException.ThrowIfLessThan(fm, 1, nameof(FlushMessages));
        if (MessageTimestampBeforeMax is { } before)
            ArgumentOutOfRangeException.ThrowIfLessThan(before, TimeSpan.Zero, nameof(MessageTimestampBeforeMax));
        if (MessageTimestampAfterMax is { } after)
            ArgumentOutOfRangeException.ThrowIfLessThan(after, TimeSpan.Zero, nameof(MessageTimestampAfterMax));
        if (FlushInterval is { } fi)
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(fi, TimeSpan.Zero, nameof(FlushInterval));
    }
}
