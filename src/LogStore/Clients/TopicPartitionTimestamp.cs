namespace LogStore;

/// <summary>A point in time in one partition, for <see cref="IConsumer{TKey, TValue}.OffsetsForTimes"/>.</summary>
/// <param name="TopicPartition">The partition.</param>
/// <param name="Timestamp">The time to look up.</param>
public readonly record struct TopicPartitionTimestamp(TopicPartition TopicPartition, DateTimeOffset Timestamp);
