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

    internal ConsumeResult(Partition partition, long offset, Message<TKey, TValue> message)
    {
        _partition = partition;
        Offset = offset;
        Message = message;
    }

    /// <summary>The partition it came from.</summary>
    public TopicPartition TopicPartition => _partition is Partition partition ? partition.Id : (TopicPartition)_partition;

    /// <summary>Its offset.</summary>
    public long Offset { get; }

    /// <summary>The decoded message.</summary>
    public Message<TKey, TValue> Message { get; }
}
