namespace LogStore.Clients.Groups;

/// <summary>
/// Kafka's CooperativeStickyAssignor ("cooperative-sticky"): a balanced assignment that moves as few partitions as
/// it can. Cooperative protocol: a rebalance revokes only the partitions that change owner, so the others are
/// consumed without a pause. Stateless.
/// </summary>
/// <remarks>
/// <para>The algorithm, deterministic because members are taken in id order and partitions in topic/number order:</para>
/// <list type="number">
/// <item>Each member keeps the partitions it owns that still exist and that it still subscribes to (a partition
/// claimed by two members goes to the first by id).</item>
/// <item>Every other partition goes to the least loaded member subscribed to its topic.</item>
/// <item>While some member holds at least two more partitions than a member that could take one of them, the most
/// loaded member gives its last such partition to the least loaded one. Each move lowers the sum of the squared
/// loads, so this ends; with identical subscriptions the loads then differ by at most one, and only the partitions
/// needed for that moved.</item>
/// </list>
/// <para>Kafka's own algorithm balances differing subscriptions more cleverly; for the identical subscriptions of
/// almost every group the outcome has the same shape: balanced, and each kept partition stays with its owner.</para>
/// </remarks>
internal sealed class CooperativeStickyAssignor : IPartitionAssignor
{
    /// <summary>The shared instance.</summary>
    public static readonly CooperativeStickyAssignor Instance = new();

    /// <inheritdoc/>
    public string Name => "cooperative-sticky";

    /// <inheritdoc/>
    public RebalanceProtocol Protocol => RebalanceProtocol.Cooperative;

    /// <inheritdoc/>
    public Dictionary<string, List<TopicPartition>> Assign(IReadOnlyList<MemberSubscription> members, IReadOnlyDictionary<string, int> partitionsPerTopic)
    {
        ArgumentNullException.ThrowIfNull(partitionsPerTopic);
        List<MemberSubscription> sorted = AssignorSupport.SortedMembers(members, out Dictionary<string, List<TopicPartition>> result);
        if (sorted.Count == 0)
            return result;
        var subscriptions = new HashSet<string>[sorted.Count];
        var loads = new List<TopicPartition>[sorted.Count];
        for (int i = 0; i < sorted.Count; i++)
        {
            subscriptions[i] = new HashSet<string>(sorted[i].Topics, StringComparer.Ordinal);
            loads[i] = result[sorted[i].MemberId];
        }

        // 1. Keep what is owned and still valid.
        var claimed = new HashSet<TopicPartition>();
        for (int i = 0; i < sorted.Count; i++)
        {
            var owned = new List<TopicPartition>(sorted[i].OwnedPartitions);
            owned.Sort(AssignorSupport.PartitionOrder);
            foreach (TopicPartition tp in owned)
            {
                bool exists = tp.Partition >= 0 && tp.Partition < AssignorSupport.PartitionCount(partitionsPerTopic, tp.Topic);
                if (exists && subscriptions[i].Contains(tp.Topic) && claimed.Add(tp))
                    loads[i].Add(tp);
            }
        }

        // 2. Give every unowned partition to the least loaded eligible member.
        foreach (string topic in AssignorSupport.SubscribedTopics(sorted))
        {
            int partitions = AssignorSupport.PartitionCount(partitionsPerTopic, topic);
            for (int p = 0; p < partitions; p++)
            {
                var tp = new TopicPartition(topic, p);
                if (claimed.Contains(tp))
                    continue;
                int target = LeastLoaded(loads, subscriptions, topic, exceptIndex: -1);
                loads[target].Add(tp);
            }
        }

        // 3. Move partitions from the most to the least loaded member until no move helps.
        foreach (List<TopicPartition> load in loads)
            load.Sort(AssignorSupport.PartitionOrder);
        while (TryMoveOne(loads, subscriptions))
        {
        }
        return result;
    }

    private static int LeastLoaded(List<TopicPartition>[] loads, HashSet<string>[] subscriptions, string topic, int exceptIndex)
    {
        int best = -1;
        for (int i = 0; i < loads.Length; i++)
        {
            if (i != exceptIndex && subscriptions[i].Contains(topic) && (best < 0 || loads[i].Count < loads[best].Count))
                best = i;
        }
        return best;
    }

    /// <summary>Finds the most loaded member that can give a partition to a member holding two fewer, and moves it.</summary>
    private static bool TryMoveOne(List<TopicPartition>[] loads, HashSet<string>[] subscriptions)
    {
        // Sources from the most loaded down; the first that can give anything gives its last eligible partition.
        var order = new int[loads.Length];
        for (int i = 0; i < order.Length; i++)
            order[i] = i;
        Array.Sort(order, (a, b) => loads[a].Count != loads[b].Count ? loads[b].Count.CompareTo(loads[a].Count) : a.CompareTo(b));
        foreach (int source in order)
        {
            List<TopicPartition> from = loads[source];
            for (int k = from.Count - 1; k >= 0; k--)
            {
                int target = LeastLoaded(loads, subscriptions, from[k].Topic, exceptIndex: source);
                if (target >= 0 && loads[target].Count + 1 < from.Count)
                {
                    TopicPartition moved = from[k];
                    from.RemoveAt(k);
                    List<TopicPartition> to = loads[target];
                    int at = to.BinarySearch(moved, Comparer<TopicPartition>.Create(AssignorSupport.PartitionOrder));
                    to.Insert(~at, moved);
                    return true;
                }
            }
        }
        return false;
    }
}
