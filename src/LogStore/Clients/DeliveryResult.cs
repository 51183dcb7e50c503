namespace LogStore;

/// <summary>Where a produced message landed.</summary>
/// <param name="TopicPartition">Its partition.</param>
/// <param name="Offset">Its offset.</param>
/// <param name="Timestamp">Its timestamp as stored.</param>
public sealed record DeliveryResult(TopicPartition TopicPartition, long Offset, DateTimeOffset Timestamp);
