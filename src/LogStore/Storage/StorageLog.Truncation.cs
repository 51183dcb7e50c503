using Microsoft.Extensions.Logging;

namespace LogStore.Storage;

// What the storage engine logs about a follower's truncation (Kafka's "Truncating to offset" lines).
internal static partial class StorageLog
{
    [LoggerMessage(EventId = 1266, Level = LogLevel.Information, Message = "Truncated {Partition} from log end {From} to {To}: {Bytes} bytes of its diverged tail removed")]
    public static partial void LogTruncated(ILogger logger, TopicPartition partition, long from, long to, long bytes);

    [LoggerMessage(EventId = 1267, Level = LogLevel.Warning, Message = "{Partition} holds the marker of a truncation ({Kind} {Offset}) that a crash interrupted: it is completed before the log opens")]
    public static partial void TruncationCompletedAtOpen(ILogger logger, TopicPartition partition, string kind, long offset);
}
