using System.Globalization;

namespace LogStore.Cluster.Metadata;

/// <summary>
/// The controller's decisions about one partition (Kafka's PartitionChangeBuilder), as pure functions of an image so
/// the Raft and the static controller decide alike: who leads after an election, a fencing or a restart, and which
/// ISR and eligible leader replicas (KIP-966) follow. Stateless, thread-safe.
/// </summary>
internal static class PartitionChangeBuilder
{
    /// <summary>A partition's next leader, ISR and eligible leader replicas.</summary>
    public readonly record struct Change(int Leader, int[] Isr, int[] Elr);

    /// <summary>The topic's min.insync.replicas as the controller stored it (1 when unset).</summary>
    public static int MinIsr(TopicRegistration topic)
        => topic.Configs.TryGetValue("min.insync.replicas", out string? value)
           && int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int min) && min > 0 ? min : 1;

    /// <summary>
    /// KIP-966's rule: while the ISR has at least <paramref name="minIsr"/> members there are no eligible leader
    /// replicas; below it, a member leaving the ISR becomes one — the high watermark cannot have passed it, so it holds
    /// every committed record. Members of <paramref name="newIsr"/> are never eligible leader replicas too.
    /// </summary>
    public static int[] NextElr(PartitionRegistration state, int[] newIsr, int minIsr)
    {
        if (newIsr.Length >= minIsr)
            return [];
        return [.. state.Replicas.Where(r => !newIsr.Contains(r) && (state.IsEligible(r) || state.IsInSync(r)))];
    }

    /// <summary>The leader an election picks, or null when nobody is eligible. A live in-sync replica always wins:
    /// <paramref name="preferred"/> if it is one, otherwise the first in replica order. With none alive, a live eligible
    /// leader replica leads with an ISR of itself (KIP-966). Only when neither lives, and <paramref name="allowUnclean"/>,
    /// may an out-of-sync live replica lead (the preferred one, else the first), with an ISR of itself alone: its log
    /// becomes the truth and records only the others had are lost.</summary>
    public static Change? Elect(ClusterImage image, PartitionRegistration state, int? preferred, bool allowUnclean, int minIsr)
    {
        int? firstInSync = FirstLive(image, state, state.IsInSync);
        int? firstEligible = FirstLive(image, state, state.IsEligible);
        if (preferred is { } wanted)
        {
            if (!image.IsUnfenced(wanted))
                return null;
            if (state.IsInSync(wanted))
                return new Change(wanted, [.. state.Isr], [.. state.Elr]);
            if (firstInSync is null && state.IsEligible(wanted))
                return LeadAlone(state, wanted, minIsr);
            return allowUnclean && firstInSync is null && firstEligible is null ? Unclean(wanted) : null;
        }
        if (firstInSync is { } leader)
            return new Change(leader, [.. state.Isr], [.. state.Elr]);
        if (firstEligible is { } eligible)
            return LeadAlone(state, eligible, minIsr);
        if (allowUnclean && FirstLive(image, state, _ => true) is { } anyone)
            return Unclean(anyone);
        return null;
    }

    /// <summary>The change fencing <paramref name="nodeId"/> makes to a partition, or null if none: it leaves the ISR
    /// (unless it is the last member, kept so that it may lead again when it returns, as Kafka keeps it; below min ISR it
    /// becomes an eligible leader replica), and if it led, the first unfenced ISR member leads, else an eligible leader
    /// replica, or nobody.</summary>
    public static Change? OnFenced(ClusterImage fencedImage, PartitionRegistration state, int nodeId, int minIsr)
    {
        if (!state.IsReplica(nodeId) || (state.Leader != nodeId && !state.IsInSync(nodeId)))
            return null;
        int[] isr = state.Isr.Count > 1 ? state.Isr.Where(n => n != nodeId).ToArray() : [.. state.Isr];
        var next = new Change(state.Leader, isr, NextElr(state, isr, minIsr));
        if (state.Leader == nodeId)
        {
            var shrunk = new PartitionRegistration([.. state.Replicas], state.Leader, state.LeaderEpoch, isr, state.PartitionEpoch, next.Elr);
            next = Elect(fencedImage, shrunk, null, allowUnclean: false, minIsr) ?? next with { Leader = PartitionRegistration.NoLeader };
        }
        return Same(state, next) ? null : next;
    }

    /// <summary>The change unfencing <paramref name="nodeId"/> makes: a leaderless partition gets it as leader when it is
    /// in the ISR, or when it is an eligible leader replica and no in-sync replica lives.</summary>
    public static Change? OnUnfenced(ClusterImage image, PartitionRegistration state, int nodeId, int minIsr)
    {
        if (state.Leader != PartitionRegistration.NoLeader)
            return null;
        if (state.IsInSync(nodeId))
            return new Change(nodeId, [.. state.Isr], [.. state.Elr]);
        if (state.IsEligible(nodeId) && FirstLive(image, state, state.IsInSync) is null)
            return LeadAlone(state, nodeId, minIsr);
        return null;
    }

    /// <summary>
    /// The change a node's return after an unclean shutdown (a crash or a power cut: its log may lack records it had
    /// acknowledged to a leader) makes, or null if none: it is no longer an eligible leader replica, and it leaves the
    /// ISR unless it is the only replica known to hold every committed record (then it stays: better a leader that may
    /// have lost its unflushed tail than none, Kafka's choice before KIP-966's unclean recovery). When it was the last
    /// in-sync member and eligible leader replicas remain, they become the ISR.
    /// </summary>
    public static Change? OnUncleanRestart(ClusterImage image, PartitionRegistration state, int nodeId, int minIsr)
    {
        if (!state.IsInSync(nodeId) && !state.IsEligible(nodeId))
            return null;
        int[] elr = [.. state.Elr.Where(n => n != nodeId)];
        int[] isr = [.. state.Isr.Where(n => n != nodeId)];
        if (isr.Length == 0)
        {
            if (elr.Length == 0)
                return null;   // it alone holds what there is
            (isr, elr) = (elr, []);
        }
        if (isr.Length >= minIsr)
            elr = [];
        int leader = state.Leader == nodeId ? PartitionRegistration.NoLeader : state.Leader;
        if (leader == PartitionRegistration.NoLeader)
            leader = FirstLive(image, state, isr.Contains) ?? PartitionRegistration.NoLeader;
        var next = new Change(leader, isr, elr);
        return Same(state, next) ? null : next;
    }

    /// <summary>Round-robin placement (Kafka's StripedReplicaPlacer without racks): partition p's replicas are the
    /// unfenced nodes from position p on, wrapping; the first is the preferred leader.</summary>
    public static int[] PlaceReplicas(IReadOnlyList<int> unfencedNodes, int partition, int replicationFactor)
    {
        var replicas = new int[replicationFactor];
        for (int i = 0; i < replicationFactor; i++)
            replicas[i] = unfencedNodes[(partition + i) % unfencedNodes.Count];
        return replicas;
    }

    private static int? FirstLive(ClusterImage image, PartitionRegistration state, Func<int, bool> among)
    {
        foreach (int replica in state.Replicas)
        {
            if (among(replica) && image.IsUnfenced(replica))
                return replica;
        }
        return null;
    }

    private static Change LeadAlone(PartitionRegistration state, int leader, int minIsr)
    {
        int[] isr = [leader];
        return new Change(leader, isr, NextElr(state, isr, minIsr));
    }

    private static Change Unclean(int leader) => new(leader, [leader], []);

    private static bool Same(PartitionRegistration state, Change next)
        => next.Leader == state.Leader && next.Isr.SequenceEqual(state.Isr) && next.Elr.SequenceEqual(state.Elr);
}
