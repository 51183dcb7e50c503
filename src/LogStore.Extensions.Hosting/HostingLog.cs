using Microsoft.Extensions.Logging;

namespace LogStore.Extensions.Hosting;

/// <summary>The hosting package's log messages, with fixed event ids (60xx) beside the library's own.</summary>
internal static partial class HostingLog
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Opened LogStore data directory {DataDirectory} with {Topics} topics")]
    public static partial void BrokerOpened(ILogger logger, string dataDirectory, int topics);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information, Message = "Closed LogStore data directory {DataDirectory}")]
    public static partial void BrokerClosed(ILogger logger, string dataDirectory);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Information, Message = "{Service} consuming {Topics} in group {GroupId}")]
    public static partial void ConsumerStarted(ILogger logger, string service, string topics, string groupId);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Information, Message = "{Service} stopped consuming")]
    public static partial void ConsumerStopped(ILogger logger, string service);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Error, Message = "{Service} failed on {TopicPartition} offset {Offset}; the record is skipped")]
    public static partial void RecordFailedSkipped(ILogger logger, Exception exception, string service, TopicPartition topicPartition, long offset);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Critical, Message = "{Service} failed on {TopicPartition} offset {Offset}; the service stops and the record stays uncommitted")]
    public static partial void RecordFailedStopping(ILogger logger, Exception exception, string service, TopicPartition topicPartition, long offset);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Warning, Message = "Topic {Topic} exists with {Existing} partitions; the {Configured} of LogStore:Topics are not applied (the host never changes an existing topic)")]
    public static partial void PartitionCountDiffers(ILogger logger, string topic, int existing, int configured);

    [LoggerMessage(EventId = 6008, Level = LogLevel.Information, Message = "Opened LogStore clients on {Clients}")]
    public static partial void ClientsOpened(ILogger logger, string clients);

    [LoggerMessage(EventId = 6009, Level = LogLevel.Information, Message = "Closed LogStore clients on {Clients}")]
    public static partial void ClientsClosed(ILogger logger, string clients);
}
