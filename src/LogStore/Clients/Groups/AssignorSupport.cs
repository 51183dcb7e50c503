namespace LogStore.Clients.Groups;

/// <summary>Helpers the assignors share: sorting and result shaping.</summary>
internal static class AssignorSupport
{
    /// <summary>Orders partitions by topic (ordinal), then number: Kafka's order.</summary>
    public static readonly Comparison<TopicPartition> PartitionOrder = static (a, b) =>
    {
        int byTopic = string.CompareOrdinal(a.Topic, b.Topic);
        return byTopic != 0 ? byTopic : a.Partition.CompareTo(b.Partition);
    };

    /// <summary>The members sorted by id, and an empty list for each in the result.</summary>
    public static List<MemberSubscription> SortedMembers(IReadOnlyList<MemberSubscription> members, out Dictionary<string, List<TopicPartition>> result)
    {
        ArgumentNullException.ThrowIfNull(members);
        var sorted = new List<MemberSubscription>(members);
        sorted.Sort(static (a, b) => string.CompareOrdinal(a.MemberId, b.MemberId));
        result = new Dictionary<string, List<TopicPartition>>(sorted.Count, StringComparer.Ordinal);
        foreach (MemberSubscription member in sorted)
        {
            if (!result.TryAdd(member.MemberId, []))
                throw new ArgumentException($"Member id '{member.MemberId}' appears twice.", nameof(members));
        }
        return sorted;
    }

    /// <summary>Every topic some member subscribes to, sorted (ordinal).</summary>
    public static List<string> SubscribedTopics(IEnumerable<MemberSubscription> members)
    {
        var topics = new SortedSet<string>(StringComparer.Ordinal);
        foreach (MemberSubscription member in members)
            topics.UnionWith(member.Topics);
        return [.. topics];
    }

    /// <summary>The number of partitions of <paramref name="topic"/>, 0 when unknown.</summary>
    public static int PartitionCount(IReadOnlyDictionary<string, int> partitionsPerTopic, string topic) =>
        partitionsPerTopic.TryGetValue(topic, out int count) ? Math.Max(0, count) : 0;

    /// <summary>Sorts every member's list into Kafka's order.</summary>
    public static Dictionary<string, List<TopicPartition>> SortLists(Dictionary<string, List<TopicPartition>> result)
    {
        foreach (List<TopicPartition> list in result.Values)
            list.Sort(PartitionOrder);
        return result;
    }
}
