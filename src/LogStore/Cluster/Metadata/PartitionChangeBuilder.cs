namespace LogStore.Cluster.Metadata;

/// <summary>
/// The controller's decisions about one partition (Kafka's PartitionChangeBuilder), as pure functions of an image so
/// the Raft and the static controller decide alike: who leads after an election or a fencing, and which ISR a
/// leader may set. Stateless, thread-safe.
/// </summary>
internal static class PartitionChangeBuilder
{
    /// <summary>The leader an election picks, or null when nobody is eligible. A live in-sync replica always wins:
    /// <paramref name="preferred"/> if it is one, otherwise the first in replica order. Only when no in-sync replica is
    /// alive, and <paramref name="allowUnclean"/>, may an out-of-sync live replica lead (the preferred one, else the
    /// first), with an ISR of itself alone: its log becomes the truth and records only the others had are lost.</summary>
    public static (int Leader, int[] Isr)? Elect(ClusterImage image, PartitionRegistration state, int? preferred, bool allowUnclean)
    {
        int? firstInSync = null;
        foreach (int replica in state.Replicas)
        {
            if (state.IsInSync(replica) && image.IsUnfenced(replica))
            {
                firstInSync = replica;
                break;
            }
        }
        if (preferred is { } wanted)
        {
            if (!image.IsUnfenced(wanted))
                return null;
            if (state.IsInSync(wanted))
                return (wanted, [.. state.Isr]);
            return allowUnclean && firstInSync is null ? (wanted, [wanted]) : null;
        }
        if (firstInSync is { } leader)
            return (leader, [.. state.Isr]);
        if (allowUnclean)
        {
            foreach (int replica in state.Replicas)
            {
                if (image.IsUnfenced(replica))
                    return (replica, [replica]);
            }
        }
        return null;
    }

    /// <summary>The change fencing <paramref name="nodeId"/> makes to a partition, or null if none: it leaves the ISR
    /// (unless it is the last member, kept so that it may lead again when it returns, as Kafka keeps it), and if it
    /// led, the first unfenced ISR member leads, or nobody.</summary>
    public static (int Leader, int[] Isr)? OnFenced(ClusterImage fencedImage, PartitionRegistration state, int nodeId)
    {
        if (!state.IsReplica(nodeId) || (state.Leader != nodeId && !state.IsInSync(nodeId)))
            return null;
        int[] isr = state.Isr.Count > 1 ? state.Isr.Where(n => n != nodeId).ToArray() : [.. state.Isr];
        int leader = state.Leader;
        if (leader == nodeId)
        {
            leader = PartitionRegistration.NoLeader;
            foreach (int replica in state.Replicas)
            {
                if (isr.Contains(replica) && fencedImage.IsUnfenced(replica))
                {
                    leader = replica;
                    break;
                }
            }
        }
        if (leader == state.Leader && isr.SequenceEqual(state.Isr))
            return null;
        return (leader, isr);
    }

    /// <summary>The change unfencing <paramref name="nodeId"/> makes: a leaderless partition whose ISR holds it gets it
    /// as leader.</summary>
    public static (int Leader, int[] Isr)? OnUnfenced(PartitionRegistration state, int nodeId)
        => state.Leader == PartitionRegistration.NoLeader && state.IsInSync(nodeId) ? (nodeId, [.. state.Isr]) : null;

    /// <summary>Round-robin placement (Kafka's StripedReplicaPlacer without racks): partition p's replicas are the
    /// unfenced nodes from position p on, wrapping; the first is the preferred leader.</summary>
    public static int[] PlaceReplicas(IReadOnlyList<int> unfencedNodes, int partition, int replicationFactor)
    {
        var replicas = new int[replicationFactor];
        for (int i = 0; i < replicationFactor; i++)
            replicas[i] = unfencedNodes[(partition + i) % unfencedNodes.Count];
        return replicas;
    }
}
