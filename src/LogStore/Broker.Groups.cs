using LogStore.Clients.Groups;

namespace LogStore;

public sealed partial class Broker
{
    /// <summary>
    /// The consumer groups of this broker: every group with a committed offset or a member now, ordered by id (Kafka's
    /// <c>kafka-consumer-groups --list</c>). Reads committed offsets only when <c>__consumer_offsets</c> exists: it is
    /// never created by looking. In a cluster, only the groups this node coordinates (as a Kafka broker's ListGroups).
    /// </summary>
    public IReadOnlyList<string> ListConsumerGroups()
    {
        ThrowIfDisposed();
        GroupCoordinator coordinator = GroupCoordinator.For(this);
        var ids = new SortedSet<string>(coordinator.GroupsWithMembers(), StringComparer.Ordinal);
        if (TryGetTopic(OffsetStore.TopicName, out _))
            ids.UnionWith(coordinator.Offsets.GroupIds());
        return [.. ids];
    }

    /// <summary>
    /// Describes <paramref name="groupId"/>: its members and their partitions, and for every partition it committed
    /// or consumes, the committed offset, the log end and the lag (Kafka's <c>kafka-consumer-groups --describe</c>).
    /// </summary>
    /// <exception cref="NotCoordinatorException">In a cluster, another node coordinates the group (or none does now).</exception>
    public ConsumerGroupDescription DescribeConsumerGroup(string groupId)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        ThrowIfDisposed();
        GroupCoordinator coordinator = GroupCoordinator.For(this);
        Dictionary<TopicPartition, long> committed = TryGetTopic(OffsetStore.TopicName, out _) ? coordinator.Offsets.GetAll(groupId) : [];
        var owners = new Dictionary<TopicPartition, string>();
        var members = new List<ConsumerGroupMember>();
        if (coordinator.TryGetGroup(groupId) is { } group)
        {
            (_, Dictionary<string, List<TopicPartition>> targets) = group.Snapshot();
            foreach ((string memberId, List<TopicPartition> assignment) in targets.OrderBy(t => t.Key, StringComparer.Ordinal))
            {
                assignment.Sort(AssignorSupport.PartitionOrder);
                members.Add(new ConsumerGroupMember(memberId, assignment));
                foreach (TopicPartition tp in assignment)
                    owners[tp] = memberId;
            }
        }
        var partitions = new List<ConsumerGroupPartition>();
        foreach (TopicPartition tp in committed.Keys.Union(owners.Keys).Order(Comparer<TopicPartition>.Create(AssignorSupport.PartitionOrder)))
        {
            long? end = TryGetTopic(tp.Topic, out Topic? topic) && tp.Partition < topic.Partitions.Count ? topic.Partitions[tp.Partition].HighWatermark : null;
            long? offset = committed.TryGetValue(tp, out long c) ? c : null;
            long? lag = end is long e && offset is long o ? Math.Max(0, e - o) : null;
            partitions.Add(new ConsumerGroupPartition(tp, offset, end, lag, owners.GetValueOrDefault(tp)));
        }
        return new ConsumerGroupDescription(groupId, members, partitions);
    }
}
