using Microsoft.Extensions.Logging;

namespace LogStore.Clients.Groups;

/// <summary>What consumer groups log, with fixed event ids (3001–3099) so operators can alert on them.</summary>
internal static partial class GroupLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Member {MemberId} joined group {GroupId} for topics {Topics}")]
    public static partial void MemberJoined(ILogger logger, string groupId, string memberId, string topics);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Member {MemberId} left group {GroupId}")]
    public static partial void MemberLeft(ILogger logger, string groupId, string memberId);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Member {MemberId} of group {GroupId} was evicted: it did not poll for {SessionTimeoutMs} ms (session.timeout.ms)")]
    public static partial void MemberEvicted(ILogger logger, string groupId, string memberId, long sessionTimeoutMs);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Warning, Message = "Member {MemberId} of group {GroupId} was evicted: it did not rejoin within {RebalanceTimeoutMs} ms of a rebalance (rebalance.timeout.ms)")]
    public static partial void MemberNotRejoined(ILogger logger, string groupId, string memberId, long rebalanceTimeoutMs);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Error, Message = "{Api} of group {GroupId} failed unexpectedly; the client was answered UNKNOWN_SERVER_ERROR")]
    public static partial void RequestFailed(ILogger logger, string api, string groupId, Exception exception);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Group {GroupId} rebalanced to generation {Generation} with {Members} member(s) ({Strategy})")]
    public static partial void Rebalanced(ILogger logger, string groupId, int generation, int members, string strategy);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Auto-commit of group {GroupId} failed")]
    public static partial void AutoCommitFailed(ILogger logger, string groupId, Exception exception);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "Closing a consumer of group {GroupId} failed; its resources were released")]
    public static partial void CloseFailed(ILogger logger, string? groupId, Exception exception);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Information, Message = "Loaded committed offsets: {Records} records, {Keys} keys in {ElapsedMs} ms")]
    public static partial void OffsetsLoaded(ILogger logger, long records, int keys, long elapsedMs);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Information, Message = "Reset {Partition} to offset {Offset} ({Policy}): the committed or requested offset {Requested} was out of range")]
    public static partial void OffsetReset(ILogger logger, TopicPartition partition, long offset, AutoOffsetReset policy, long requested);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Debug, Message = "Started {Partition} at offset {Offset} ({Policy}): no committed offset")]
    public static partial void StartedWithoutCommit(ILogger logger, TopicPartition partition, long offset, AutoOffsetReset policy);

    [LoggerMessage(EventId = 3015, Level = LogLevel.Error, Message = "Committed offsets in {Partition} from offset {Offset} to {ResumedAt} could not be loaded: the log is damaged there (its bytes are kept; 'logstore dump' shows them). Groups whose commits were there fall back to an earlier commit or their reset policy")]
    public static partial void DamagedOffsetsSkipped(ILogger logger, TopicPartition partition, long offset, long resumedAt, Exception exception);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Warning, Message = "Skipped a malformed record of {Partition} at offset {Offset} ({File}) while loading committed offsets; the other records are loaded")]
    public static partial void OffsetRecordSkipped(ILogger logger, TopicPartition partition, long offset, string file, Exception exception);

    [LoggerMessage(EventId = 3020, Level = LogLevel.Information, Message = "This node coordinates the groups of {Partition} from leader epoch {LeaderEpoch}: loaded {Records} records in {ElapsedMs} ms")]
    public static partial void PartitionLoaded(ILogger logger, TopicPartition partition, int leaderEpoch, long records, long elapsedMs);

    [LoggerMessage(EventId = 3021, Level = LogLevel.Error, Message = "Loading the groups of {Partition} in leader epoch {LeaderEpoch} failed; the next request for one of them tries again")]
    public static partial void PartitionLoadFailed(ILogger logger, TopicPartition partition, int leaderEpoch, Exception exception);

    [LoggerMessage(EventId = 3022, Level = LogLevel.Information, Message = "This node no longer coordinates the groups of {Partition}: {Groups} group(s) unloaded")]
    public static partial void PartitionUnloaded(ILogger logger, TopicPartition partition, int groups);

    [LoggerMessage(EventId = 3030, Level = LogLevel.Information, Message = "Member {MemberId} joined group {GroupId} at its coordinator on another node in generation {Generation}")]
    public static partial void RemoteMemberJoined(ILogger logger, string groupId, string memberId, int generation);

    [LoggerMessage(EventId = 3031, Level = LogLevel.Warning, Message = "Member {MemberId} of group {GroupId} lost its membership at the coordinator on another node: {Reason}. The consumer rejoins at its next poll")]
    public static partial void RemoteMemberLost(ILogger logger, string groupId, string memberId, string reason);

    [LoggerMessage(EventId = 3032, Level = LogLevel.Warning, Message = "The coordinator of group {GroupId} sent member {MemberId} an assignment that does not parse; the member rejoins")]
    public static partial void MalformedAssignment(ILogger logger, string groupId, string memberId, Exception exception);

    [LoggerMessage(EventId = 3033, Level = LogLevel.Warning, Message = "The coordinator of group {GroupId} assigned {Partition} to member {MemberId}, which does not subscribe to its topic or whose node does not hold it; skipped")]
    public static partial void AssignedPartitionSkipped(ILogger logger, string groupId, string memberId, TopicPartition partition);

    [LoggerMessage(EventId = 3034, Level = LogLevel.Debug, Message = "A heartbeat of member {MemberId} of group {GroupId} got no answer; the next one tries again")]
    public static partial void HeartbeatFailed(ILogger logger, string groupId, string memberId, Exception exception);

    [LoggerMessage(EventId = 3035, Level = LogLevel.Warning, Message = "Member {MemberId} could not leave group {GroupId} at its coordinator; the coordinator evicts it after its session timeout")]
    public static partial void LeaveFailed(ILogger logger, string groupId, string memberId, Exception exception);
}
