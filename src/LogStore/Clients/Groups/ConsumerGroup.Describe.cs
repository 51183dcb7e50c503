namespace LogStore.Clients.Groups;

/// <summary>One member of a group as DescribeGroups shows it, in-process or over the network.</summary>
/// <param name="MemberId">The member id.</param>
/// <param name="Metadata">The subscription bytes a network member sent, null for an in-process consumer.</param>
/// <param name="SubscriptionVersion">Their version (0 in-process).</param>
/// <param name="GroupInstanceId">group.instance.id of a static network member.</param>
/// <param name="Topics">The subscribed topics.</param>
/// <param name="Owned">The partitions it holds now, sorted.</param>
internal sealed record GroupMemberView(string MemberId, byte[]? Metadata, short SubscriptionVersion, string? GroupInstanceId, string[] Topics, List<TopicPartition> Owned);

/// <summary>A group's state as Kafka's DescribeGroups and ListGroups name it, and its members.</summary>
/// <param name="State">Empty, PreparingRebalance (a network member must rejoin), CompletingRebalance (partitions
/// are being handed over) or Stable.</param>
/// <param name="Protocol">The assignor's name while the group has members, else empty.</param>
/// <param name="Members">The members, sorted by id.</param>
internal sealed record GroupView(string State, string Protocol, List<GroupMemberView> Members);

internal sealed partial class ConsumerGroup
{
    /// <summary>A snapshot of the group's state and members.</summary>
    public GroupView Describe()
    {
        var members = new List<GroupMemberView>();
        string state, protocol;
        lock (_lock)
        {
            if (_members.Count == 0)
                return new GroupView("Empty", "", members);
            bool rejoining = false, handingOver = false;
            foreach (GroupMember member in _members)
            {
                List<TopicPartition> owned = [.. member.Owned];
                owned.Sort(AssignorSupport.PartitionOrder);
                RemoteMemberState? remote = member.Remote;
                members.Add(new GroupMemberView(member.MemberId, remote?.Metadata, remote?.SubscriptionVersion ?? 0, remote?.GroupInstanceId, member.Topics, owned));
                rejoining |= remote is not null && remote.JoinedGeneration != _generation;
                handingOver |= remote is { Synced: false } || !member.Owned.SetEquals(member.Target);
            }
            state = rejoining ? "PreparingRebalance" : handingOver ? "CompletingRebalance" : "Stable";
            protocol = _assignor!.Name;
        }
        members.Sort(static (a, b) => string.CompareOrdinal(a.MemberId, b.MemberId));
        return new GroupView(state, protocol, members);
    }
}
