namespace LogStore;

/// <summary>A batch (or record) is larger than the topic's <see cref="TopicConfig.MaxMessageBytes"/>.</summary>
public sealed class RecordTooLargeException : LogStoreException
{
    /// <summary>Creates the exception.</summary>
    public RecordTooLargeException(TopicPartition partition, int sizeInBytes, int maxMessageBytes)
        : base($"A batch of {sizeInBytes} bytes for {partition} exceeds max.message.bytes ({maxMessageBytes}). Send smaller batches or raise TopicConfig.MaxMessageBytes.")
    {
        TopicPartition = partition;
        SizeInBytes = sizeInBytes;
        MaxMessageBytes = maxMessageBytes;
    }

    /// <summary>The exception for a remote broker's MESSAGE_TOO_LARGE, which says neither size: both are -1 (LogStore.Kafka).</summary>
    internal RecordTooLargeException(TopicPartition partition, string message)
        : base(message)
    {
        TopicPartition = partition;
        SizeInBytes = -1;
        MaxMessageBytes = -1;
    }

    /// <summary>The partition appended to.</summary>
    public TopicPartition TopicPartition { get; }

    /// <summary>The size of the refused batch.</summary>
    public int SizeInBytes { get; }

    /// <summary>The limit in force.</summary>
    public int MaxMessageBytes { get; }
}
