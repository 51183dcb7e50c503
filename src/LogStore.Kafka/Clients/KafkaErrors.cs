using Confluent.Kafka;

namespace LogStore.Kafka.Clients;

/// <summary>
/// Maps Confluent.Kafka's errors to LogStore's exceptions: the inverse of the listener's <c>ErrorCodes.FromException</c>,
/// so that application code catching <see cref="UnknownTopicException"/> or <see cref="RecordTooLargeException"/>
/// works on both sides. Anything without a LogStore type becomes a plain <see cref="LogStoreException"/> (or a
/// <see cref="ProduceException"/> on the producer side), with Confluent's <see cref="KafkaException"/> inside.
/// </summary>
internal static class KafkaErrors
{
    /// <summary>The LogStore exception for <paramref name="error"/> about <paramref name="partition"/> (partition -1
    /// when unknown); <paramref name="inner"/> is kept as the inner exception.</summary>
    public static LogStoreException ToException(Error error, TopicPartition partition, bool producing, Exception? inner = null)
    {
        inner ??= new KafkaException(error);
        LogStoreException? mapped = Map(error.Code, partition);
        if (mapped is not null)
            return mapped;
        string message = $"Kafka error {error.Code} on {partition}: {error.Reason}";
        return producing ? new ProduceException(partition, message, inner) : new LogStoreException(message, inner);
    }

    /// <summary>The LogStore exception for a Confluent <see cref="KafkaException"/>, as <see cref="ToException"/>.</summary>
    public static LogStoreException From(KafkaException exception, TopicPartition partition, bool producing) =>
        ToException(exception.Error, partition, producing, exception);

    private static LogStoreException? Map(ErrorCode code, TopicPartition p) => code switch
    {
        ErrorCode.UnknownTopicOrPart or ErrorCode.Local_UnknownTopic => new UnknownTopicException(p.Topic, p.Partition < 0 ? null : p.Partition),
        ErrorCode.Local_UnknownPartition => new UnknownTopicException(p.Topic, p.Partition),
        // The size is the broker's to know: Kafka's error carries neither the batch's bytes nor the limit.
        ErrorCode.MsgSizeTooLarge => new RecordTooLargeException(p,
            $"A message for {p} exceeds the topic's max.message.bytes or the client's message.max.bytes ({code}). Send smaller messages or raise the limit."),
        ErrorCode.TopicException => new InvalidTopicException(p.Topic, "the cluster refused the topic name"),
        ErrorCode.TopicAlreadyExists => new TopicExistsException(p.Topic),
        ErrorCode.OffsetOutOfRange => new OffsetOutOfRangeException(p, -1,
            $"An offset asked for in {p} is out of the partition's range (OFFSET_OUT_OF_RANGE); seek to Offset.Beginning or Offset.End."),
        ErrorCode.InvalidMsg or ErrorCode.Local_BadMsg => new CorruptRecordException($"The cluster returned a corrupt record for {p} ({code})."),
        ErrorCode.NotLeaderForPartition => new NotLeaderException(p),
        ErrorCode.KafkaStorageError => new StorageException($"The cluster's storage failed for {p} (KAFKA_STORAGE_ERROR)."),
        ErrorCode.InvalidTimestamp => new InvalidTimestampException(p, -1, "the cluster refused the record's timestamp (INVALID_TIMESTAMP)"),
        ErrorCode.InvalidConfig => new InvalidConfigurationException(p.Topic, "(unknown)", "The cluster refused the topic's configuration (INVALID_CONFIG)."),
        _ => null,
    };
}
