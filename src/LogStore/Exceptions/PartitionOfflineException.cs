namespace LogStore;

/// <summary>
/// A partition could not be opened when its Broker opened (Kafka's offline partition, KafkaStorageException): its
/// directory or a file in it is damaged, unreadable or could not be created. The rest of the store serves; every use
/// of this partition (append, read, its offsets) throws this exception until the cause is fixed and the Broker is
/// reopened. Nothing of the partition was changed by the failed open, so its bytes stay for salvage.
/// </summary>
public sealed class PartitionOfflineException : LogStoreException
{
    /// <summary>Creates the exception for <paramref name="partition"/>, with the failure that took it offline.</summary>
    public PartitionOfflineException(TopicPartition partition, Exception cause)
        : base($"Partition {partition} is offline: it could not be opened ({cause?.Message}). The rest of the store serves; " +
            "fix the cause (free space, permissions, the file named) and reopen the Broker, or delete the topic to drop its data.", cause)
    {
        ArgumentNullException.ThrowIfNull(cause);
        Partition = partition;
        FilePath = (cause as StorageException)?.FilePath ?? (cause as CorruptRecordException)?.FilePath;
    }

    /// <summary>The partition.</summary>
    public TopicPartition Partition { get; }

    /// <summary>The file or directory the failure names, when it names one.</summary>
    public string? FilePath { get; }
}
