using Microsoft.Extensions.Logging;

namespace LogStore.Diagnostics;

/// <summary>
/// What the broker logs about whole topics and the partitions it could not open (event ids 1301-1399): a create rolled
/// back, an internal topic's configuration overridden, an offline partition, a configuration altered, partitions added, topic ids given to an older store. Fixed event ids so operators can alert
/// on them; the logger's category is <c>"LogStore"</c>.
/// </summary>
internal static partial class TopicLog
{
    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Creating topic {Topic} failed; what it had made (configuration file, {Directories} partition directories) was removed, so it can be created again")]
    public static partial void CreateRolledBack(ILogger logger, string topic, int directories, Exception exception);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Error, Message = "Creating topic {Topic} failed and {Path} could not be removed; the next open of the Broker finishes the topic (or reports its partition offline)")]
    public static partial void CreateRollbackFailed(ILogger logger, string topic, string path, Exception exception);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Warning, Message = "The configuration of internal topic {Topic} ({File}) says cleanup.policy={CleanupPolicy}, retention.ms={RetentionMs}, retention.bytes={RetentionBytes}; it is kept compacted with no retention instead, and the file is left as it is")]
    public static partial void InternalTopicConfigOverridden(ILogger logger, string topic, string file, CleanupPolicy cleanupPolicy, long retentionMs, long retentionBytes);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Error, Message = "{Partition} is offline: it could not be opened ({Directory}); the rest of the store serves, and every use of it fails until the cause is fixed and the Broker reopened")]
    public static partial void PartitionOffline(ILogger logger, TopicPartition partition, string directory, Exception exception);

    [LoggerMessage(EventId = 1306, Level = LogLevel.Information, Message = "Altered the configuration of topic {Topic}: {Changes}")]
    public static partial void ConfigAltered(ILogger logger, string topic, string changes);

    [LoggerMessage(EventId = 1307, Level = LogLevel.Information, Message = "Topic {Topic} grew from {Before} to {After} partitions")]
    public static partial void PartitionsCreated(ILogger logger, string topic, int before, int after);

    [LoggerMessage(EventId = 1308, Level = LogLevel.Warning, Message = "Adding partitions to topic {Topic} failed; the new partition directories were removed and its configuration is back to {Partitions} partitions")]
    public static partial void CreatePartitionsRolledBack(ILogger logger, string topic, int partitions, Exception exception);

    [LoggerMessage(EventId = 1305, Level = LogLevel.Error, Message = "{DataDirectory} has {Offline} offline partition(s) that were never recovered: the Broker closes without its clean-shutdown marker, so the next open recovers them")]
    public static partial void OfflineAtClose(ILogger logger, string dataDirectory, int offline);

    [LoggerMessage(EventId = 1309, Level = LogLevel.Information, Message = "Topic {Topic} had no topic id (a store older than topic ids): it is {TopicId} from now on, written to {Partitions} partition directories")]
    public static partial void TopicIdAssigned(ILogger logger, string topic, string topicId, int partitions);

    [LoggerMessage(EventId = 1310, Level = LogLevel.Warning, Message = "The topic id of {Partition} could not be written to {Directory}; the partition serves, and the next open writes it again")]
    public static partial void TopicIdNotWritten(ILogger logger, TopicPartition partition, string directory, Exception exception);
}
