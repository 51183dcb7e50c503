namespace LogStore;

/// <summary>An offset below the partition's LogStartOffset or above its LogEndOffset was asked for.</summary>
public sealed class OffsetOutOfRangeException : LogStoreException
{
    /// <summary>Creates the exception.</summary>
    public OffsetOutOfRangeException(TopicPartition partition, long offset, long logStartOffset, long logEndOffset)
        : base($"Offset {offset} is out of range for {partition}: valid offsets are {logStartOffset} to {logEndOffset}.")
    {
        TopicPartition = partition;
        Offset = offset;
        LogStartOffset = logStartOffset;
        LogEndOffset = logEndOffset;
    }

    /// <summary>The exception for a remote broker's OFFSET_OUT_OF_RANGE, which says no bounds: they are -1 (LogStore.Kafka).</summary>
    internal OffsetOutOfRangeException(TopicPartition partition, long offset, string message)
        : base(message)
    {
        TopicPartition = partition;
        Offset = offset;
        LogStartOffset = -1;
        LogEndOffset = -1;
    }

    /// <summary>The partition read.</summary>
    public TopicPartition TopicPartition { get; }

    /// <summary>The offset asked for.</summary>
    public long Offset { get; }

    /// <summary>The partition's first offset at the time.</summary>
    public long LogStartOffset { get; }

    /// <summary>The partition's next offset at the time.</summary>
    public long LogEndOffset { get; }
}
