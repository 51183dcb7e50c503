namespace LogStore;

/// <summary>One consumed record.</summary>
public sealed class ConsumeResult<TKey, TValue>
{
    /// <summary>Creates a result.</summary>
    public ConsumeResult(TopicPartition topicPartition, long offset, Message<TKey, TValue> message)
    {
        TopicPartition = topicPartition;
        Offset = offset;
        Message = message;
    }

    /// <summary>The partition it came from.</summary>
    public TopicPartition TopicPartition { get; }

    /// <summary>Its offset.</summary>
    public long Offset { get; }

    /// <summary>The decoded message.</summary>
    public Message<TKey, TValue> Message { get; }
}
