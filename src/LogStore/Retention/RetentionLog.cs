using Microsoft.Extensions.Logging;

namespace LogStore.Retention;

/// <summary>What retention and the cleaner log, with fixed event ids (11xx) beside <see cref="Diagnostics.LogStoreLog"/>'s.</summary>
internal static partial class RetentionLog
{
    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Deleted {Segments} segments ({Bytes} bytes) of {Partition} for {Reason}; log start offset is now {LogStartOffset}")]
    public static partial void SegmentsDeleted(ILogger logger, TopicPartition partition, int segments, long bytes, string reason, long logStartOffset);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Cleaned {Partition}: {SegmentsBefore} segments ({BytesBefore} bytes) became {SegmentsAfter} ({BytesAfter} bytes); offsets below {EndOffset} are clean ({ElapsedMs} ms)")]
    public static partial void Cleaned(ILogger logger, TopicPartition partition, int segmentsBefore, long bytesBefore, int segmentsAfter, long bytesAfter, long endOffset, long elapsedMs);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Error, Message = "Retention or cleaning of {Partition} failed; it is retried at the next check")]
    public static partial void RetentionFailed(ILogger logger, TopicPartition partition, Exception exception);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Completed an interrupted compaction swap in {Directory}: {SwapFiles} .swap files replaced the segments from offset {FirstOffset}")]
    public static partial void SwapCompleted(ILogger logger, string directory, int swapFiles, long firstOffset);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Warning, Message = "Discarded an unfinished compaction in {Directory}: {Files} .cleaned/.swap files removed, the old segments kept")]
    public static partial void SwapAborted(ILogger logger, string directory, int files);
}
