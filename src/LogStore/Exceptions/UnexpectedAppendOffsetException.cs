namespace LogStore;

/// <summary>
/// A follower was sent batches that do not start where its log ends: a gap (records missing) or an overlap (records it
/// already holds). Nothing was appended; the follower fetches again from its log end, or truncates by leader epoch.
/// </summary>
public sealed class UnexpectedAppendOffsetException : LogStoreException
{
    /// <summary>Creates the exception.</summary>
    public UnexpectedAppendOffsetException(TopicPartition partition, long firstOffset, long logEndOffset)
        : base($"A batch for {partition} starts at offset {firstOffset} but the log ends at {logEndOffset}: " +
            (firstOffset > logEndOffset ? "records are missing in between." : "it overlaps records the log holds."))
    {
        TopicPartition = partition;
        FirstOffset = firstOffset;
        LogEndOffset = logEndOffset;
    }

    /// <summary>The partition appended to.</summary>
    public TopicPartition TopicPartition { get; }

    /// <summary>The base offset of the refused batch.</summary>
    public long FirstOffset { get; }

    /// <summary>The log's next offset when the batch was refused.</summary>
    public long LogEndOffset { get; }
}
