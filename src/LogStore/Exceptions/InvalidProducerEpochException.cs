namespace LogStore;

/// <summary>
/// A batch carries an older epoch of its producer id than the partition has seen (Kafka's InvalidProducerEpochException):
/// a newer instance of that producer took over, and the old one's batches are refused. Nothing of the batch is appended.
/// </summary>
public sealed class InvalidProducerEpochException : LogStoreException
{
    /// <summary>Creates the exception.</summary>
    public InvalidProducerEpochException(TopicPartition partition, long producerId, short epoch, short current)
        : base($"Producer {producerId} epoch {epoch} is older than epoch {current} already seen on {partition}: the producer was fenced by a newer instance.")
    {
        TopicPartition = partition;
        ProducerId = producerId;
    }

    /// <summary>The partition appended to.</summary>
    public TopicPartition TopicPartition { get; }

    /// <summary>The producer id of the batch.</summary>
    public long ProducerId { get; }
}
