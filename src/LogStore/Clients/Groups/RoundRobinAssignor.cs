namespace LogStore.Clients.Groups;

/// <summary>
/// Kafka's RoundRobinAssignor ("roundrobin"). Every subscribed partition, sorted by topic then number, is dealt in turn
/// to the members sorted by id, skipping members not subscribed to its topic. With identical subscriptions the members'
/// partition counts differ by at most one. Eager protocol. Stateless.
/// </summary>
internal sealed class RoundRobinAssignor : IPartitionAssignor
{
    /// <summary>The shared instance.</summary>
    public static readonly RoundRobinAssignor Instance = new();

    /// <inheritdoc/>
    public string Name => "roundrobin";

    /// <inheritdoc/>
    public RebalanceProtocol Protocol => RebalanceProtocol.Eager;

    /// <inheritdoc/>
    public Dictionary<string, List<TopicPartition>> Assign(IReadOnlyList<MemberSubscription> members, IReadOnlyDictionary<string, int> partitionsPerTopic)
    {
        ArgumentNullException.ThrowIfNull(partitionsPerTopic);
        List<MemberSubscription> sorted = AssignorSupport.SortedMembers(members, out Dictionary<string, List<TopicPartition>> result);
        if (sorted.Count == 0)
            return result;
        int next = 0;
        foreach (string topic in AssignorSupport.SubscribedTopics(sorted))
        {
            int partitions = AssignorSupport.PartitionCount(partitionsPerTopic, topic);
            for (int p = 0; p < partitions; p++)
            {
                // Some member subscribes to the topic (it came from a subscription), so this loop ends.
                while (!sorted[next].Topics.Contains(topic))
                    next = (next + 1) % sorted.Count;
                result[sorted[next].MemberId].Add(new TopicPartition(topic, p));
                next = (next + 1) % sorted.Count;
            }
        }
        return result;
    }
}
