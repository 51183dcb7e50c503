using Microsoft.Extensions.Logging;

namespace LogStore.Diagnostics;

/// <summary>
/// The broker's and partitions' lifecycle messages (event ids 1001-1099), with fixed event ids so operators can alert on
/// them. The other ranges, each in its layer's own log class: 1101-1199 retention and compaction (RetentionLog),
/// 1201-1299 storage failures (StorageLog), 1301-1399 topics and offline partitions (TopicLog), 2001-2099 kept for replication, 3001-3099 consumer groups (GroupLog),
/// 4001-4099 the producer (ProducerLog),
/// 5001-5099 the Kafka listener's connections (NetworkLog). Every logger's category is <c>"LogStore"</c>.
/// </summary>
internal static partial class LogStoreLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Opened {Partition}: {Segments} segments, log start {LogStartOffset}, log end {LogEndOffset}, recovery point {RecoveryPoint}")]
    public static partial void PartitionLoaded(ILogger logger, TopicPartition partition, int segments, long logStartOffset, long logEndOffset, long recoveryPoint);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Unclean shutdown of {DataDirectory} detected: recovering segments past each partition's recovery point")]
    public static partial void UncleanShutdown(ILogger logger, string dataDirectory);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Recovery truncated {File} at position {Position}, past the recovery point: {BytesDropped} bytes dropped from the log ({Reason}) and kept in {CutFile} until an operator removes it")]
    public static partial void SegmentTruncated(ILogger logger, string file, int position, int bytesDropped, string reason, string cutFile);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Recovery set aside segment {File} ({Bytes} bytes, past the recovery point): it follows a damaged or shortened segment of {Partition}; {Kept}")]
    public static partial void SegmentDeletedAfterDamage(ILogger logger, string file, int bytes, TopicPartition partition, string kept);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Index files of {File} were missing or damaged and have been rebuilt from the log")]
    public static partial void IndexRebuilt(ILogger logger, string file);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Debug, Message = "Rolled {Partition} to a new segment at offset {BaseOffset}")]
    public static partial void SegmentRolled(ILogger logger, TopicPartition partition, long baseOffset);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "Recovered {Partition}: {Segments} segments scanned in {ElapsedMs} ms")]
    public static partial void PartitionRecovered(ILogger logger, TopicPartition partition, int segments, long elapsedMs);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Debug, Message = "Opened {Partition}: no bytes past its recovery point to recover")]
    public static partial void NothingToRecover(ILogger logger, TopicPartition partition);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Warning, Message = "Removed leftover file {File}")]
    public static partial void LeftoverRemoved(ILogger logger, string file);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Error, Message = "Background flush of {Partition} failed")]
    public static partial void BackgroundFlushFailed(ILogger logger, TopicPartition partition, Exception exception);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Deleted topic {Topic}")]
    public static partial void TopicDeleted(ILogger logger, string topic);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Created topic {Topic} with {Partitions} partitions")]
    public static partial void TopicCreated(ILogger logger, string topic, int partitions);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Information, Message = "Incremented the log start offset of {Partition} to {LogStartOffset} (DeleteRecords)")]
    public static partial void LogStartOffsetIncremented(ILogger logger, TopicPartition partition, long logStartOffset);
}
