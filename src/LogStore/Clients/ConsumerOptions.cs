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

    /// <summary>How often positions are auto-committed. Default 5 s (auto.commit.interval.ms).</summary>
    public TimeSpan AutoCommitInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Most records decoded per fetch round. Default 500 (max.poll.records).</summary>
    public int MaxPollRecords { get; init; } = 500;

    /// <summary>Most bytes prefetched across partitions. Default 50 MiB (fetch.max.bytes).</summary>
    public int FetchMaxBytes { get; init; } = 50 << 20;

    /// <summary>Most bytes fetched from one partition at a time. Default 1 MiB (max.partition.fetch.bytes).</summary>
    public int MaxPartitionFetchBytes { get; init; } = 1 << 20;
}
