using LogStore.Clients.Groups;
using LogStore.Protocol;

namespace LogStore.Network.Apis.Groups;

internal sealed partial class GroupApis
{
    /// <summary>How in-process consumers appear among a group's members (they send no client id or host).</summary>
    public const string InProcessClientId = "logstore", InProcessClientHost = "in-process";

    /// <summary>
    /// DescribeGroups: state, protocol and members of each group, network and in-process members alike. A member's
    /// metadata is its subscription (as the client sent it; built from the topics for an in-process consumer) and its
    /// assignment what it holds now. A group unknown here is "Dead", as Kafka answers; one with committed offsets
    /// only is "Empty".
    /// </summary>
    public ValueTask<DescribeGroupsResponse> DescribeGroupsAsync(DescribeGroupsRequest request, short version, CancellationToken ct)
    {
        var response = new DescribeGroupsResponse();
        foreach (string groupId in request.Groups)
        {
            var described = new DescribeGroupsResponse.DescribedGroup { GroupId = groupId };
            try
            {
                Describe(groupId, described);
            }
            catch (Exception e)
            {
                described.ErrorCode = Failed(e, "DescribeGroups", groupId);
            }
            response.Groups.Add(described);
        }
        return ValueTask.FromResult(response);
    }

    private void Describe(string groupId, DescribeGroupsResponse.DescribedGroup described)
    {
        if (groupId.Length == 0)
        {
            described.ErrorCode = ErrorCode.InvalidGroupId;
            return;
        }
        if (CheckCoordinator(groupId) is not ErrorCode.None and var notServed)
        {
            described.ErrorCode = notServed;
            return;
        }
        if (Coordinator.TryGetGroup(groupId) is not { } group)
        {
            bool committed = _broker.TryGetTopic(OffsetStore.TopicName, out _) && Coordinator.Offsets.GetAll(groupId).Count > 0;
            described.GroupState = committed ? "Empty" : "Dead";
            described.ProtocolType = committed ? ConsumerProtocolType : "";
            return;
        }
        GroupView view = group.Describe();
        described.GroupState = view.State;
        described.ProtocolType = ConsumerProtocolType;
        described.ProtocolData = view.Protocol;
        foreach (GroupMemberView member in view.Members)
        {
            bool remote = member.Metadata is not null;
            described.Members.Add(new DescribeGroupsResponse.Member
            {
                MemberId = member.MemberId,
                GroupInstanceId = member.GroupInstanceId,
                ClientId = remote ? "" : InProcessClientId,
                ClientHost = remote ? "" : InProcessClientHost,
                MemberMetadata = member.Metadata ?? new ConsumerProtocolSubscription
                {
                    Version = 1,
                    Topics = [.. member.Topics],
                    OwnedPartitions = member.Owned,
                }.Write(),
                MemberAssignment = new ConsumerProtocolAssignment
                {
                    Version = remote ? member.SubscriptionVersion : (short)1,
                    AssignedPartitions = member.Owned,
                }.Write(),
            });
        }
    }

    /// <summary>
    /// ListGroups: every group with members or committed offsets (<see cref="Broker.ListConsumerGroups"/>; in a cluster
    /// only the groups this node coordinates, as each Kafka broker lists its own), all of
    /// protocol type "consumer" and group type "classic"; v4+ filters by state, v5+ by type (both case-insensitive).
    /// </summary>
    public ValueTask<ListGroupsResponse> ListGroupsAsync(ListGroupsRequest request, short version, CancellationToken ct)
    {
        var response = new ListGroupsResponse();
        try
        {
            foreach (string groupId in _broker.ListConsumerGroups())
            {
                string state = Coordinator.TryGetGroup(groupId)?.Describe().State ?? "Empty";
                if (Matches(request.StatesFilter, state) && Matches(request.TypesFilter, "classic"))
                {
                    response.Groups.Add(new ListGroupsResponse.ListedGroup
                    {
                        GroupId = groupId,
                        ProtocolType = ConsumerProtocolType,
                        GroupState = state,
                        GroupType = "classic",
                    });
                }
            }
        }
        catch (Exception e)
        {
            response.ErrorCode = Failed(e, "ListGroups", "*");
            response.Groups.Clear();
        }
        return ValueTask.FromResult(response);
    }

    private static bool Matches(List<string> filter, string value)
    {
        if (filter.Count == 0)
            return true;
        foreach (string wanted in filter)
        {
            if (string.Equals(wanted, value, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }
}
