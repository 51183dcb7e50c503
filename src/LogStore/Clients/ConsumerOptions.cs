namespace LogStore;

/// <summary>How a consumer joins a group, starts and fetches (Kafka's consumer settings).</summary>
public sealed class ConsumerOptions
{
    /// <summary>The consumer group; null allows only manual <see cref="IConsumer{TKey, TValue}.Assign"/> (group.id).</summary>
    public string? GroupId { get; init; }

    /// <summary>Where to start without a committed offset, or when it fell below the log start. Default latest (auto.offset.reset).</summary>
    public AutoOffsetReset AutoOffsetReset { get; init; } = AutoOffsetReset.Latest;

    /// <summary>Whether positions are committed periodically. Default true (enable.auto.commit).</summary>
    public bool EnableAutoCommit { get; init; } = true;

    /// <summary>Whether the position after each returned record is what a commit (auto or <c>Commit()</c>) stores.
    /// Off, only offsets given to <see cref="IConsumer{TKey, TValue}.StoreOffset(TopicPartitionOffset)"/> are: the
    /// at-least-once pattern of storing a record's offset once it is processed. Default true
    /// (enable.auto.offset.store).</summary>
    public bool EnableAutoOffsetStore { get; init; } = true;

    /// <summary>When a partition reaches its end, whether ConsumeAsync returns a result with
    /// <see cref="ConsumeResult{TKey, TValue}.IsPartitionEOF"/> set (and no message), once per time it catches up.
    /// Default false (enable.partition.eof).</summary>
    public bool EnablePartitionEof { get; init; }

    /// <summary>How often positions are auto-committed. Default 5 s (auto.commit.interval.ms).</summary>
    public TimeSpan AutoCommitInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Most records decoded per fetch round. Default 500 (max.poll.records).</summary>
    public int MaxPollRecords { get; init; } = 500;

    /// <summary>Most bytes prefetched across partitions. Default 50 MiB (fetch.max.bytes).</summary>
    public int FetchMaxBytes { get; init; } = 50 << 20;

    /// <summary>Most bytes fetched from one partition at a time. Default 1 MiB (max.partition.fetch.bytes).</summary>
    public int MaxPartitionFetchBytes { get; init; } = 1 << 20;

    /// <summary>How the group shares partitions among its members; every member of a group must use the same one.
    /// Default <see cref="PartitionAssignmentStrategy.Range"/> (partition.assignment.strategy).</summary>
    public PartitionAssignmentStrategy PartitionAssignmentStrategy { get; init; } = PartitionAssignmentStrategy.Range;

    /// <summary>How long a group member may go without calling ConsumeAsync (and without waiting inside it) before the
    /// group evicts it and gives its partitions to the others. Default 45 s (session.timeout.ms).</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>How often the group checks that a member still polls; eviction happens at the first check at least
    /// <see cref="SessionTimeout"/> after the check that last saw it poll. Default 3 s (heartbeat.interval.ms).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(3);

    internal void Validate()
    {
        if (GroupId is not null)
            ArgumentException.ThrowIfNullOrWhiteSpace(GroupId, nameof(GroupId));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(AutoCommitInterval, TimeSpan.Zero, nameof(AutoCommitInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPollRecords, 1, nameof(MaxPollRecords));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPartitionFetchBytes, 1, nameof(MaxPartitionFetchBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(FetchMaxBytes, 1, nameof(FetchMaxBytes));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(SessionTimeout, TimeSpan.Zero, nameof(SessionTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(HeartbeatInterval, TimeSpan.Zero, nameof(HeartbeatInterval));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(HeartbeatInterval, SessionTimeout, nameof(HeartbeatInterval));
        if (!Enum.IsDefined(AutoOffsetReset))
            throw new ArgumentOutOfRangeException(nameof(AutoOffsetReset), AutoOffsetReset, "Unknown AutoOffsetReset.");
        if (!Enum.IsDefined(PartitionAssignmentStrategy))
            throw new ArgumentOutOfRangeException(nameof(PartitionAssignmentStrategy), PartitionAssignmentStrategy, "Unknown PartitionAssignmentStrategy.");
    }
}
