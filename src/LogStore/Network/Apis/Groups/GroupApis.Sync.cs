using LogStore.Clients.Groups;
using LogStore.Protocol;

namespace LogStore.Network.Apis.Groups;

internal sealed partial class GroupApis
{
    /// <summary>Kafka clients give SyncGroup a request timeout near the session timeout (librdkafka: session + 3 s,
    /// the Java client: request.timeout.ms, 30 s): an eager member's wait stays well inside both.</summary>
    internal static readonly TimeSpan MaxSyncWait = TimeSpan.FromSeconds(20);

    /// <summary>
    /// SyncGroup: the member's assignment, encoded as a ConsumerProtocolAssignment in the version of its subscription.
    /// The assignments a client sends are ignored: the group assigns (see <see cref="GroupApis"/>). An eager member
    /// waits until the members giving partitions to it have released them, at most half its session timeout (and
    /// 20 s); then it gets what is free and is asked to rejoin for the rest.
    /// </summary>
    public async ValueTask<SyncGroupResponse> SyncGroupAsync(SyncGroupRequest request, short version, CancellationToken ct)
    {
        var response = new SyncGroupResponse();
        try
        {
            if (request.GroupId.Length == 0)
            {
                response.ErrorCode = ErrorCode.InvalidGroupId;
                return response;
            }
            if (CheckCoordinator(request.GroupId) is not ErrorCode.None and var notServed)
            {
                response.ErrorCode = notServed;
                return response;
            }
            if (FindMember(request.GroupId, request.MemberId, out ConsumerGroup? group) is not { } member)
            {
                response.ErrorCode = ErrorCode.UnknownMemberId;
                return response;
            }
            if ((request.ProtocolType is not null && request.ProtocolType != ConsumerProtocolType)
                || (request.ProtocolName is not null && request.ProtocolName != group!.ProtocolName))
            {
                response.ErrorCode = ErrorCode.InconsistentGroupProtocol;
                return response;
            }
            if (version >= 5)
            {
                response.ProtocolType = ConsumerProtocolType;
                response.ProtocolName = group!.ProtocolName;
            }
            (RemoteResult result, List<TopicPartition> assignment) = await SyncAsync(group!, member, request.GenerationId, ct).ConfigureAwait(false);
            response.ErrorCode = ToErrorCode(result);
            if (result == RemoteResult.Ok)
            {
                response.Assignment = new ConsumerProtocolAssignment
                {
                    Version = member.Remote!.SubscriptionVersion,
                    AssignedPartitions = assignment,
                }.Write();
            }
        }
        catch (OperationCanceledException) when (_broker.Closing.IsCancellationRequested)
        {
            // The broker is closing: the client looks for a coordinator again, as after a coordinator moved.
            response.ErrorCode = ErrorCode.CoordinatorNotAvailable;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The connection is closing: a client still listening rejoins.
            response.ErrorCode = ErrorCode.RebalanceInProgress;
        }
        catch (Exception e)
        {
            response.ErrorCode = Failed(e, "SyncGroup", request.GroupId);
        }
        return response;
    }

    private async ValueTask<(RemoteResult, List<TopicPartition>)> SyncAsync(ConsumerGroup group, GroupMember member, int generation, CancellationToken ct)
    {
        TimeProvider time = _broker.Options.TimeProvider;
        long started = time.GetTimestamp();
        TimeSpan wait = TimeSpan.FromTicks(Math.Min(member.SessionTimeout.Ticks / 2, MaxSyncWait.Ticks));
        bool waitOver = false;
        PollSignal signal = member.Signal;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, _broker.Closing);
        // Each round is woken by a release or a rebalance in the group; the deadline bounds the rounds. The wait is
        // shorter than the session timeout, and each round marks the member alive, so waiting never evicts it.
        while (true)
        {
            // Taken before looking, so a release between the look and the wait still wakes the wait.
            signal.Take(PollSignal.GroupChanged);
            RemoteResult result = group.SyncRemote(member, generation, takeWhatIsFree: waitOver, out List<TopicPartition> assignment);
            if (result != RemoteResult.Waiting)
                return (result, assignment);
            TimeSpan left = wait - time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                waitOver = true;
                continue;
            }
            try
            {
                await signal.WaitAsync().WaitAsync(left, time, stop.Token).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                waitOver = true;
            }
        }
    }

    /// <summary>Heartbeat: alive, or REBALANCE_IN_PROGRESS when the member must rejoin, or why it is no member.</summary>
    public ValueTask<HeartbeatResponse> HeartbeatAsync(HeartbeatRequest request, short version, CancellationToken ct)
    {
        var response = new HeartbeatResponse();
        try
        {
            if (request.GroupId.Length == 0)
                response.ErrorCode = ErrorCode.InvalidGroupId;
            else if (CheckCoordinator(request.GroupId) is not ErrorCode.None and var notServed)
                response.ErrorCode = notServed;
            else if (FindMember(request.GroupId, request.MemberId, out ConsumerGroup? group) is not { } member)
                response.ErrorCode = ErrorCode.UnknownMemberId;
            else
                response.ErrorCode = ToErrorCode(group!.HeartbeatRemote(member, request.GenerationId));
        }
        catch (Exception e)
        {
            response.ErrorCode = Failed(e, "Heartbeat", request.GroupId);
        }
        return ValueTask.FromResult(response);
    }

    /// <summary>
    /// LeaveGroup: the members leave (releasing their partitions) and the others rebalance. v3+ names members by id or,
    /// for static members, by group.instance.id, and answers per member.
    /// </summary>
    public ValueTask<LeaveGroupResponse> LeaveGroupAsync(LeaveGroupRequest request, short version, CancellationToken ct)
    {
        var response = new LeaveGroupResponse();
        try
        {
            if (request.GroupId.Length == 0)
            {
                response.ErrorCode = ErrorCode.InvalidGroupId;
                return ValueTask.FromResult(response);
            }
            if (CheckCoordinator(request.GroupId) is not ErrorCode.None and var notServed)
            {
                response.ErrorCode = notServed;
                return ValueTask.FromResult(response);
            }
            ConsumerGroup? group = Coordinator.TryGetGroup(request.GroupId);
            if (version <= 2)
            {
                response.ErrorCode = Leave(group, request.MemberId, null);
                return ValueTask.FromResult(response);
            }
            foreach (LeaveGroupRequest.MemberIdentity identity in request.Members)
            {
                response.Members.Add(new LeaveGroupResponse.MemberResponse
                {
                    MemberId = identity.MemberId,
                    GroupInstanceId = identity.GroupInstanceId,
                    ErrorCode = Leave(group, identity.MemberId, identity.GroupInstanceId),
                });
            }
        }
        catch (Exception e)
        {
            response.ErrorCode = Failed(e, "LeaveGroup", request.GroupId);
        }
        return ValueTask.FromResult(response);
    }

    private static ErrorCode Leave(ConsumerGroup? group, string memberId, string? groupInstanceId)
    {
        if (group?.FindRemote(memberId, groupInstanceId) is not { } member)
            return ErrorCode.UnknownMemberId;
        group.Leave(member);
        return ErrorCode.None;
    }
}
