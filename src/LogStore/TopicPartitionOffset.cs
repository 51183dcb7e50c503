namespace LogStore;

/// <summary>A position in one partition.</summary>
/// <param name="TopicPartition">The partition.</param>
/// <param name="Offset">The offset within it.</param>
public readonly record struct TopicPartitionOffset(TopicPartition TopicPartition, long Offset);
