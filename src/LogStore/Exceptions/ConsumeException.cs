namespace LogStore;

/// <summary>
/// A consumed record's key or value could not be deserialized (Confluent.Kafka's <c>ConsumeException</c>): names the
/// record, and carries the deserializer's exception. The consumer's position is already past the record, so the next
/// call goes on with the following one.
/// </summary>
public sealed class ConsumeException : LogStoreException
{
    /// <summary>Creates the exception.</summary>
    public ConsumeException(TopicPartitionOffset record, bool isKey, Exception innerException)
        : base($"Cannot deserialize the {(isKey ? "key" : "value")} of the record at offset {record.Offset} of " +
            $"{record.TopicPartition.Topic}-{record.TopicPartition.Partition}: {innerException?.Message}", innerException)
    {
        Record = record;
        IsKey = isKey;
    }

    /// <summary>The record: its partition and offset.</summary>
    public TopicPartitionOffset Record { get; }

    /// <summary>True when the key failed, false when the value did.</summary>
    public bool IsKey { get; }
}
