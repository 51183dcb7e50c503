namespace LogStore.Clients.Groups;

/// <summary>
/// Kafka's RangeAssignor ("range"), the default. Topic by topic, the members subscribed to it, sorted by member id,
/// each take a contiguous range of its partitions: with n partitions and c members, each takes n / c, and the first
/// n % c members one more. With several topics of equal size the first members therefore get the same numbers of
/// every topic (useful for co-partitioned joins) and can get more partitions overall. Eager protocol. Stateless.
/// </summary>
internal sealed class RangeAssignor : IPartitionAssignor
{
    /// <summary>The shared instance.</summary>
    public static readonly RangeAssignor Instance = new();

    /// <inheritdoc/>
    public string Name => "range";

    /// <inheritdoc/>
    public RebalanceProtocol Protocol => RebalanceProtocol.Eager;

    /// <inheritdoc/>
    public Dictionary<string, List<TopicPartition>> Assign(IReadOnlyList<MemberSubscription> members, IReadOnlyDictionary<string, int> partitionsPerTopic)
    {
        ArgumentNullException.ThrowIfNull(partitionsPerTopic);
        List<MemberSubscription> sorted = AssignorSupport.SortedMembers(members, out Dictionary<string, List<TopicPartition>> result);
        var consumers = new List<string>();
        foreach (string topic in AssignorSupport.SubscribedTopics(sorted))
        {
            consumers.Clear();
            foreach (MemberSubscription member in sorted)
            {
                if (member.Topics.Contains(topic))
                    consumers.Add(member.MemberId);
            }
            int partitions = AssignorSupport.PartitionCount(partitionsPerTopic, topic);
            int perConsumer = partitions / consumers.Count;
            int extra = partitions % consumers.Count;
            for (int i = 0; i < consumers.Count; i++)
            {
                int start = perConsumer * i + Math.Min(i, extra);
                int length = perConsumer + (i < extra ? 1 : 0);
                List<TopicPartition> assigned = result[consumers[i]];
                for (int p = start; p < start + length; p++)
                    assigned.Add(new TopicPartition(topic, p));
            }
        }
        return AssignorSupport.SortLists(result);
    }
}
