using Microsoft.Extensions.Logging;

namespace LogStore.Storage.Producers;

/// <summary>What the producer state logs about its snapshots, with fixed event ids (1260–1269).</summary>
internal static partial class ProducerStateLog
{
    [LoggerMessage(EventId = 1260, Level = LogLevel.Warning, Message = "The producer-state snapshot {File} of {Partition} cannot be used ({Problem}): it is deleted, and the state is rebuilt from an older snapshot or the segments")]
    public static partial void SnapshotUnusable(ILogger logger, TopicPartition partition, string file, string problem);

    [LoggerMessage(EventId = 1261, Level = LogLevel.Warning, Message = "The producer-state snapshot {File} of {Partition} is refused ({Problem}); it is left in place, and the state is rebuilt from an older snapshot or the segments")]
    public static partial void SnapshotRefused(ILogger logger, TopicPartition partition, string file, string problem);

    [LoggerMessage(EventId = 1262, Level = LogLevel.Warning, Message = "Could not write the producer-state snapshot of {Partition} at offset {Offset}; a restart replays more of the log instead")]
    public static partial void SnapshotWriteFailed(ILogger logger, TopicPartition partition, long offset, Exception exception);

    [LoggerMessage(EventId = 1263, Level = LogLevel.Warning, Message = "Could not delete the producer-state snapshot {File} of {Partition}; it is no longer used")]
    public static partial void SnapshotDeleteFailed(ILogger logger, TopicPartition partition, string file, Exception exception);

    [LoggerMessage(EventId = 1264, Level = LogLevel.Warning, Message = "Could not load the producer state of {Partition}: no snapshot is written until it loads")]
    public static partial void LoadFailed(ILogger logger, TopicPartition partition, Exception exception);

    [LoggerMessage(EventId = 1265, Level = LogLevel.Debug, Message = "Loaded the producer state of {Partition}: {Producers} producer(s) from the snapshot at offset {SnapshotOffset} and the batches from offset {ReplayFrom} to {ReplayTo}")]
    public static partial void Loaded(ILogger logger, TopicPartition partition, int producers, long snapshotOffset, long replayFrom, long replayTo);
}
