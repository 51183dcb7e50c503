namespace LogStore;

/// <summary>
/// An idempotent producer's batch does not follow the last one the partition has from that producer (Kafka's
/// OutOfOrderSequenceException): a batch in between is missing, so appending this one would reorder or lose records.
/// Nothing of the batch is appended.
/// </summary>
public sealed class OutOfOrderSequenceException : LogStoreException
{
    /// <summary>Creates the exception.</summary>
    public OutOfOrderSequenceException(TopicPartition partition, long producerId, int expected, int received)
        : base($"Producer {producerId} sent sequence {received} to {partition}, but the next expected is {expected}: a batch in between is missing.")
    {
        TopicPartition = partition;
        ProducerId = producerId;
    }

    /// <summary>The partition appended to.</summary>
    public TopicPartition TopicPartition { get; }

    /// <summary>The producer id of the batch.</summary>
    public long ProducerId { get; }
}
