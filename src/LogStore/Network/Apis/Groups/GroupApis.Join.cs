using LogStore.Clients.Groups;
using LogStore.Protocol;

namespace LogStore.Network.Apis.Groups;

internal sealed partial class GroupApis
{
    /// <summary>
    /// JoinGroup: a first join (v4+, empty member id) gets MEMBER_ID_REQUIRED with its id (KIP-394); a join with that
    /// id adds the member and rebalances; a known member's rejoin gives back what it revoked. The answer comes at once
    /// (see <see cref="ConsumerGroup"/>'s remarks on the bridge) and names <see cref="LeaderId"/> as leader.
    /// </summary>
    public ValueTask<JoinGroupResponse> JoinGroupAsync(JoinGroupRequest request, short version, CancellationToken ct)
    {
        var response = new JoinGroupResponse { MemberId = request.MemberId, Leader = "", ProtocolName = version >= 7 ? null : "" };
        try
        {
            response.ErrorCode = Join(request, version, response);
        }
        catch (InconsistentGroupProtocolException)
        {
            // An in-process consumer with another strategy joined between the choice and the join.
            response.ErrorCode = ErrorCode.InconsistentGroupProtocol;
        }
        catch (Exception e)
        {
            response.ErrorCode = Failed(e, "JoinGroup", request.GroupId);
        }
        if (response.ErrorCode != ErrorCode.None)
            response.GenerationId = -1;
        return ValueTask.FromResult(response);
    }

    private ErrorCode Join(JoinGroupRequest request, short version, JoinGroupResponse response)
    {
        if (request.GroupId.Length == 0)
            return ErrorCode.InvalidGroupId;
        if (CheckCoordinator(request.GroupId) is not ErrorCode.None and var notServed)
            return notServed;
        var session = TimeSpan.FromMilliseconds(request.SessionTimeoutMs);
        if (session < MinSessionTimeout || session > MaxSessionTimeout)
            return ErrorCode.InvalidSessionTimeout;
        // v0 has no rebalance timeout: Kafka uses the session timeout.
        TimeSpan rebalance = version == 0 || request.RebalanceTimeoutMs <= 0 ? session : TimeSpan.FromMilliseconds(request.RebalanceTimeoutMs);
        if (request.ProtocolType != ConsumerProtocolType || request.Protocols.Count == 0)
            return ErrorCode.InconsistentGroupProtocol;

        ConsumerGroup group = Coordinator.GetGroup(request.GroupId);
        var offered = new List<string>(request.Protocols.Count);
        foreach (JoinGroupRequest.Protocol protocol in request.Protocols)
            offered.Add(protocol.Name);
        if (group.ChooseAssignor(offered) is not { } assignor
            || !TryReadSubscription(request, assignor.Name, out ConsumerProtocolSubscription? subscription, out byte[] metadata))
        {
            return ErrorCode.InconsistentGroupProtocol;
        }
        var join = new RemoteJoin(assignor, SortedTopics(subscription.Topics), subscription.OwnedPartitions.ToHashSet(),
            session, rebalance, request.GroupInstanceId, subscription.Version, metadata);

        GroupMember member;
        if (request.MemberId.Length == 0)
        {
            if (version >= 4)
            {
                // KIP-394: the member joins again with this id, so a client that times out and retries a first join
                // does not leave a ghost member behind.
                response.MemberId = group.IssueMemberId(session) ?? "";
                return response.MemberId.Length > 0 ? ErrorCode.MemberIdRequired : ErrorCode.GroupMaxSizeReached;
            }
            member = group.JoinRemote(group.NewMemberId(), join);
        }
        else if (group.FindRemote(request.MemberId) is { } known)
        {
            RemoteResult result = group.RejoinRemote(known, join);
            if (result != RemoteResult.Ok)
                return ToErrorCode(result);
            member = known;
        }
        else if (group.ClaimIssuedMemberId(request.MemberId))
        {
            member = group.JoinRemote(request.MemberId, join);
        }
        else
        {
            return ErrorCode.UnknownMemberId;
        }

        response.MemberId = member.MemberId;
        response.GenerationId = member.Remote!.JoinedGeneration;
        response.ProtocolType = ConsumerProtocolType;
        response.ProtocolName = assignor.Name;
        response.Leader = LeaderId;
        return ErrorCode.None;
    }

    /// <summary>Decodes the metadata the member sent with the protocol <paramref name="name"/>.</summary>
    private static bool TryReadSubscription(JoinGroupRequest request, string name,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ConsumerProtocolSubscription? subscription, out byte[] metadata)
    {
        foreach (JoinGroupRequest.Protocol protocol in request.Protocols)
        {
            if (protocol.Name != name)
                continue;
            metadata = protocol.Metadata;
            try
            {
                subscription = ConsumerProtocolSubscription.Read(metadata);
                return true;
            }
            catch (KafkaProtocolException)
            {
                break;
            }
        }
        subscription = null;
        metadata = [];
        return false;
    }

    private static string[] SortedTopics(List<string> topics)
    {
        var set = new SortedSet<string>(topics, StringComparer.Ordinal);
        return [.. set];
    }
}
