using System.Net;
using Microsoft.Extensions.Logging;

namespace LogStore.Storage.Replication.Fetching;

/// <summary>
/// What the follower's fetchers log (event ids 6301-6399): connections to leaders, truncations by leader epoch, and
/// per-partition errors. A leader's bad answer is a warning naming the leader and the partition; a lost connection is
/// information, since the fetcher reconnects by itself.
/// </summary>
internal static partial class ReplicaFetcherLog
{
    [LoggerMessage(EventId = 6301, Level = LogLevel.Information, Message = "Replica fetcher for leader {LeaderId} connected to {Endpoint} (Fetch v{FetchVersion})")]
    public static partial void Connected(ILogger logger, int leaderId, EndPoint endpoint, short fetchVersion);

    [LoggerMessage(EventId = 6302, Level = LogLevel.Information, Message = "Replica fetcher for leader {LeaderId} lost its connection; retrying in {BackoffMs} ms: {Reason}")]
    public static partial void ConnectionFailed(ILogger logger, int leaderId, long backoffMs, string reason);

    [LoggerMessage(EventId = 6303, Level = LogLevel.Information, Message = "{Partition}: truncating from {LogEnd} to {Offset} by leader epoch (asked epoch {AskedEpoch}, leader answered epoch {LeaderEpoch} ending at {LeaderEndOffset})")]
    public static partial void Truncated(ILogger logger, TopicPartition partition, long logEnd, long offset, int askedEpoch, int leaderEpoch, long leaderEndOffset);

    [LoggerMessage(EventId = 6304, Level = LogLevel.Warning, Message = "{Partition}: truncating to {Offset}, below the high watermark {HighWatermark}, as the leader's epochs require")]
    public static partial void TruncatedBelowHighWatermark(ILogger logger, TopicPartition partition, long offset, long highWatermark);

    [LoggerMessage(EventId = 6305, Level = LogLevel.Warning, Message = "{Partition}: the leader has no leader epochs; truncating to the high watermark {Offset}")]
    public static partial void TruncatedToHighWatermark(ILogger logger, TopicPartition partition, long offset);

    [LoggerMessage(EventId = 6306, Level = LogLevel.Warning, Message = "{Partition}: the leader's log starts at {LeaderLogStart}, past this log's end {LogEnd}; starting the log over there")]
    public static partial void StartedOver(ILogger logger, TopicPartition partition, long leaderLogStart, long logEnd);

    [LoggerMessage(EventId = 6307, Level = LogLevel.Information, Message = "{Partition}: leader {LeaderId} answered {Error} for epoch {LeaderEpoch}; idle until reassigned")]
    public static partial void Fenced(ILogger logger, TopicPartition partition, int leaderId, string error, int leaderEpoch);

    [LoggerMessage(EventId = 6308, Level = LogLevel.Information, Message = "{Partition}: leader {LeaderId} answered {Error}; retrying in {BackoffMs} ms")]
    public static partial void PartitionError(ILogger logger, TopicPartition partition, int leaderId, string error, long backoffMs);

    [LoggerMessage(EventId = 6309, Level = LogLevel.Error, Message = "{Partition}: fetching from leader {LeaderId} stopped at offset {LogEnd}; nothing past the last good batch was appended")]
    public static partial void PartitionFailed(ILogger logger, TopicPartition partition, int leaderId, long logEnd, Exception exception);

    [LoggerMessage(EventId = 6310, Level = LogLevel.Warning, Message = "{Partition}: leader {LeaderId} answered OffsetForLeaderEpoch for epoch {AskedEpoch} with epoch {LeaderEpoch} ending at {LeaderEndOffset}, which cannot be; retrying in {BackoffMs} ms")]
    public static partial void InvalidEpochAnswer(ILogger logger, TopicPartition partition, int leaderId, int askedEpoch, int leaderEpoch, long leaderEndOffset, long backoffMs);

    [LoggerMessage(EventId = 6311, Level = LogLevel.Debug, Message = "Replica fetcher for leader {LeaderId}: {Partition} added in epoch {LeaderEpoch}")]
    public static partial void PartitionAdded(ILogger logger, int leaderId, TopicPartition partition, int leaderEpoch);

    [LoggerMessage(EventId = 6312, Level = LogLevel.Debug, Message = "Replica fetcher for leader {LeaderId}: {Partition} removed")]
    public static partial void PartitionRemoved(ILogger logger, int leaderId, TopicPartition partition);

    [LoggerMessage(EventId = 6313, Level = LogLevel.Warning, Message = "Replica fetcher for leader {LeaderId} did not stop within {TimeoutMs} ms")]
    public static partial void StopTimedOut(ILogger logger, int leaderId, long timeoutMs);
}
