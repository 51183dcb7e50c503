using Microsoft.Extensions.Logging;

namespace LogStore.Storage;

/// <summary>What the storage engine logs about failing disks and damage found at open, with fixed event ids (12xx)
/// beside <see cref="Diagnostics.LogStoreLog"/>'s.</summary>
internal static partial class StorageLog
{
    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Could not write the checkpoint of {Partition} (recovery point {RecoveryPoint}); it is retried at the next flush, and a restart meanwhile recovers from the previous one")]
    public static partial void CheckpointWriteFailed(ILogger logger, TopicPartition partition, long recoveryPoint, Exception exception);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Error, Message = "fsync of {Partition} failed: every later flush of it fails until the Broker is reopened, and the next open recovers what was not known durable")]
    public static partial void FsyncFailed(ILogger logger, TopicPartition partition, Exception exception);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "The tail of {File}, after a clean shutdown, is damaged ({Reason}): the segment is recovered")]
    public static partial void DamagedTailAfterCleanShutdown(ILogger logger, string file, string reason);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Error, Message = "{Partition} was not closed cleanly; the next open recovers it")]
    public static partial void PartitionCloseFailed(ILogger logger, TopicPartition partition, Exception exception);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Warning, Message = "{Partition} has no segment file although its checkpoint says records up to offset {RecoveryPoint} existed; it starts empty at that offset, so no offset is ever reused")]
    public static partial void SegmentsMissing(ILogger logger, TopicPartition partition, long recoveryPoint);

    [LoggerMessage(EventId = 1206, Level = LogLevel.Error, Message = "The Broker on {DataDirectory} did not close cleanly: {Failed} partition(s) could not be flushed or checkpointed; the next open recovers them")]
    public static partial void UncleanClose(ILogger logger, string dataDirectory, int failed);

    [LoggerMessage(EventId = 1207, Level = LogLevel.Error, Message = "Could not write the clean-shutdown marker of {DataDirectory}: the next open recovers every partition past its recovery point")]
    public static partial void CleanShutdownMarkerFailed(ILogger logger, string dataDirectory, Exception exception);

    [LoggerMessage(EventId = 1208, Level = LogLevel.Warning, Message = "Segment {BaseOffset} of {Partition} ends at offset {End}, below the next segment's {NextBaseOffset}: its last records never reached the disk, so the log ends there and the later segments (past the recovery point) are set aside")]
    public static partial void SegmentEndsBeforeNext(ILogger logger, TopicPartition partition, long baseOffset, long end, long nextBaseOffset);

    [LoggerMessage(EventId = 1209, Level = LogLevel.Error, Message = "Damaged data below the recovery point of {Partition}: {File} at byte position {Position} (offset {Offset}): {Reason}. Nothing is cut: the bytes stay for salvage ('logstore dump' shows them, 'logstore repair' cuts them after a backup), reading them fails with CorruptRecordException, and the segment's offsets reach up to {KnownEnd}")]
    public static partial void DurableDamageFound(ILogger logger, TopicPartition partition, string file, int position, long offset, string reason, long knownEnd);

    [LoggerMessage(EventId = 1210, Level = LogLevel.Error, Message = "The segments of {Partition} end at offset {End}, below the recovery point {RecoveryPoint}: records known durable are missing from {File}. Reading them fails with CorruptRecordException; the log continues at offset {RecoveryPoint}, so no offset is handed out twice")]
    public static partial void DurableRecordsMissing(ILogger logger, TopicPartition partition, long end, long recoveryPoint, string file);

    [LoggerMessage(EventId = 1211, Level = LogLevel.Warning, Message = "Removed the empty segment {File} of {Partition}: it starts at offset {BaseOffset}, past the log's end {End}, so it holds nothing and would have moved the log end")]
    public static partial void StrayEmptySegmentRemoved(ILogger logger, string file, TopicPartition partition, long baseOffset, long end);

    [LoggerMessage(EventId = 1212, Level = LogLevel.Warning, Message = "A read of {Partition} at offset {Offset} met damaged data in {File} at byte position {Position}: {Message}")]
    public static partial void CorruptRead(ILogger logger, TopicPartition partition, long offset, string? file, long? position, string message);

    [LoggerMessage(EventId = 1213, Level = LogLevel.Error, Message = "Segment {BaseOffset} of {Partition} ends at offset {End}, but the next segment starts at {NextBaseOffset}, below the recovery point {RecoveryPoint}: durable records are missing or overlap. Every segment is kept; reading the offsets in between fails with CorruptRecordException")]
    public static partial void DurableSegmentsDisagree(ILogger logger, TopicPartition partition, long baseOffset, long end, long nextBaseOffset, long recoveryPoint);

    [LoggerMessage(EventId = 1230, Level = LogLevel.Warning, Message = "The leader-epoch-checkpoint of {Partition} was rebuilt from the batch headers: {Reason}")]
    public static partial void LeaderEpochsRebuilt(ILogger logger, TopicPartition partition, string reason);

    [LoggerMessage(EventId = 1231, Level = LogLevel.Warning, Message = "Could not write the leader-epoch-checkpoint of {Partition}; the recovery-point checkpoint waits for it and both are retried at the next flush")]
    public static partial void LeaderEpochCheckpointWriteFailed(ILogger logger, TopicPartition partition, Exception exception);

    [LoggerMessage(EventId = 1232, Level = LogLevel.Warning, Message = "Ignored the entry '{Topic} {Partition} {Offset}' of {File}: {Reason}")]
    public static partial void CheckpointEntryIgnored(ILogger logger, string file, string topic, int partition, long offset, string reason);

    [LoggerMessage(EventId = 1233, Level = LogLevel.Warning, Message = "Ignored the checkpoint {File}; what it held is recomputed: {Reason}")]
    public static partial void CheckpointIgnored(ILogger logger, string file, string reason);

    [LoggerMessage(EventId = 1234, Level = LogLevel.Warning, Message = "Could not write the checkpoint files of {Directory}; they are retried at the next flush or checkpoint, and a restart meanwhile recovers from the previous ones")]
    public static partial void DataDirectoryCheckpointsFailed(ILogger logger, string directory, Exception exception);
}
