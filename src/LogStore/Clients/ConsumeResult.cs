namespace LogStore;

/// <summary>One consumed record.</summary>
public sealed class ConsumeResult<TKey, TValue>
{
    // The consumer's results point at their Partition rather than copying its TopicPartition (a string and an int):
    // one result is allocated per record, and this keeps it 8 bytes and one write barrier smaller. A result made with
    // the public constructor holds its TopicPartition boxed.
    private readonly object _partition;

    /// <summary>Creates a result.</summary>
    public ConsumeResult(TopicPartition topicPartition, long offset, Message<TKey, TValue> message)
    {
        _partition = topicPartition;
        Offset = offset;
        Message = message;
    }

    internal ConsumeResult(LogStore.Partition partition, long offset, Message<TKey, TValue> message)
    {
        _partition = partition;
        Offset = offset;
        Message = message;
    }

    /// <summary>The end-of-partition event: <see cref="Offset"/> is the partition's end, and there is no message.</summary>
    internal ConsumeResult(LogStore.Partition partition, long endOffset)
    {
        _partition = partition;
        Offset = endOffset;
        Message = null!;
        IsPartitionEOF = true;
    }

    /// <summary>The end-of-partition event of a consumer that has no <see cref="LogStore.Partition"/> (LogStore.Kafka's).</summary>
    internal ConsumeResult(TopicPartition topicPartition, long endOffset)
    {
        _partition = topicPartition;
        Offset = endOffset;
        Message = null!;
        IsPartitionEOF = true;
    }

    /// <summary>The partition it came from.</summary>
    public TopicPartition TopicPartition => _partition is LogStore.Partition partition ? partition.Id : (TopicPartition)_partition;

    /// <summary>The topic it came from (Confluent.Kafka's <c>ConsumeResult.Topic</c>).</summary>
    public string Topic => TopicPartition.Topic;

    /// <summary>The partition number it came from (Confluent.Kafka's <c>ConsumeResult.Partition</c>).</summary>
    public int Partition => TopicPartition.Partition;

    /// <summary>Its partition and offset: what <see cref="IConsumer{TKey, TValue}.Commit(ConsumeResult{TKey, TValue})"/>
    /// stores is the next one (<see cref="Offset"/> + 1).</summary>
    public TopicPartitionOffset TopicPartitionOffset => new(TopicPartition, Offset);

    /// <summary>Its offset.</summary>
    public long Offset { get; }

    /// <summary>True for the event that the consumer reached the end of the partition
    /// (<see cref="ConsumerOptions.EnablePartitionEof"/>); <see cref="Message"/> is then null.</summary>
    public bool IsPartitionEOF { get; }

    /// <summary>The decoded message; null when <see cref="IsPartitionEOF"/>.</summary>
    public Message<TKey, TValue> Message { get; }
}
