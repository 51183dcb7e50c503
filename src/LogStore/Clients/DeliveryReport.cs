namespace LogStore;

/// <summary>The outcome of one <c>IProducer.Produce</c>: where it landed, or why it failed.</summary>
/// <param name="TopicPartition">The partition it was sent to.</param>
/// <param name="Offset">Its offset, or -1 on error.</param>
/// <param name="Timestamp">Its timestamp as stored.</param>
/// <param name="Error">The failure, or null when delivered.</param>
public sealed record DeliveryReport(TopicPartition TopicPartition, long Offset, DateTimeOffset Timestamp, Exception? Error)
{
    /// <summary>The delivery result; throws <see cref="Error"/> when the message was not delivered.</summary>
    public DeliveryResult Result => Error is null ? new DeliveryResult(TopicPartition, Offset, Timestamp) : throw Error;
}
