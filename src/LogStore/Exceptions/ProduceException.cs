namespace LogStore;

/// <summary>
/// A message could not be produced for a reason no narrower <see cref="LogStoreException"/> names (Confluent.Kafka's
/// <c>ProduceException</c>): its key or value serializer threw (thrown by <c>Produce</c>/<c>ProduceAsync</c> before the
/// message is batched, nothing of it written), or its batch could not be built or appended (the partition was closed by
/// a disposed Broker or a deleted topic, a codec failed; reported as the delivery's error). The cause is the inner exception.
/// </summary>
public sealed class ProduceException : LogStoreException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="topicPartition">Where the message was going; partition -1 when none was chosen yet.</param>
    /// <param name="message">What failed, where, and what to do.</param>
    /// <param name="innerException">The cause.</param>
    public ProduceException(TopicPartition topicPartition, string message, Exception? innerException)
        : base(message, innerException) => TopicPartition = topicPartition;

    /// <summary>Where the message was going; its partition is -1 when the failure came before one was chosen.</summary>
    public TopicPartition TopicPartition { get; }

    /// <summary>The key or value serializer threw.</summary>
    internal static ProduceException Serialization(string topic, bool isKey, Exception cause) =>
        new(new TopicPartition(topic, -1),
            $"Cannot serialize the {(isKey ? "key" : "value")} of a message to topic '{topic}': {cause.Message} Nothing of the message was written.",
            cause);

    /// <summary>The batch failed for a reason that is not a <see cref="LogStoreException"/>: that reason, wrapped.</summary>
    internal static LogStoreException Wrap(TopicPartition partition, Exception cause) => cause switch
    {
        LogStoreException typed => typed,
        ObjectDisposedException => new ProduceException(partition,
            $"Partition {partition} was closed before the batch was appended (its Broker was disposed or its topic deleted): {cause.Message}", cause),
        IOException => new StorageException($"Cannot append to {partition}: {cause.Message}", null, cause),
        _ => new ProduceException(partition, $"Cannot append a batch to {partition}: {cause.Message}", cause),
    };
}
