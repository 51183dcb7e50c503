namespace LogStore;

/// <summary>The outcome of one <c>IProducer.Produce</c>: where it landed, or why it failed. A producer hands its
/// handler the generic <see cref="DeliveryReport{TKey, TValue}"/>, which also carries the message.</summary>
/// <param name="TopicPartition">The partition it was sent to.</param>
/// <param name="Offset">Its offset, or -1 on error.</param>
/// <param name="Timestamp">Its timestamp as stored.</param>
/// <param name="Error">The failure, or null when delivered. A producer only ever reports a <see cref="LogStoreException"/>
/// (<see cref="UnknownTopicException"/>, <see cref="InvalidTopicException"/>, <see cref="RecordTooLargeException"/>,
/// <see cref="InvalidTimestampException"/>, <see cref="StorageException"/>, <see cref="PartitionOfflineException"/>, or
/// <see cref="ProduceException"/> for any other cause, with that cause inside).</param>
public record DeliveryReport(TopicPartition TopicPartition, long Offset, DateTimeOffset Timestamp, Exception? Error)
{
    /// <summary>The delivery result; throws <see cref="Error"/> when the message was not delivered.</summary>
    public DeliveryResult Result => Error is null ? new DeliveryResult(TopicPartition, Offset, Timestamp) : throw Error;
}

/// <summary>The outcome of one <c>IProducer.Produce</c> with the message as it was produced (Confluent.Kafka's
/// <c>DeliveryReport&lt;TKey, TValue&gt;</c>), so that a handler can log or retry a failed message without keeping it.</summary>
/// <typeparam name="TKey">The message key's type.</typeparam>
/// <typeparam name="TValue">The message value's type.</typeparam>
/// <param name="TopicPartition">The partition it was sent to.</param>
/// <param name="Offset">Its offset, or -1 on error.</param>
/// <param name="Timestamp">Its timestamp as stored.</param>
/// <param name="Error">The failure (always a <see cref="LogStoreException"/>), or null when delivered.</param>
/// <param name="Message">The message given to <c>Produce</c> (the same instance).</param>
public sealed record DeliveryReport<TKey, TValue>(TopicPartition TopicPartition, long Offset, DateTimeOffset Timestamp, Exception? Error,
    Message<TKey, TValue> Message) : DeliveryReport(TopicPartition, Offset, Timestamp, Error);
