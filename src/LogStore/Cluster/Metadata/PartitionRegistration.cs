namespace LogStore.Cluster.Metadata;

/// <summary>
/// One partition's replication state (Kafka's PartitionRegistration): its replicas in preference order, the leader
/// (<see cref="NoLeader"/> when none), the leader epoch (bumped on every leader change, fencing the old leader's
/// requests), the in-sync replicas and the partition epoch (bumped on every change, so a leader's ISR change computed
/// from an older state is refused), and the eligible leader replicas (KIP-966: replicas that left the ISR while it was
/// below min ISR, so the high watermark could not pass them — each holds every committed record and may lead when no
/// in-sync replica can). Immutable; arrays are never written after construction.
/// </summary>
internal sealed class PartitionRegistration(int[] replicas, int leader, int leaderEpoch, int[] isr, int partitionEpoch, int[]? elr = null)
{
    public const int NoLeader = -1;

    public IReadOnlyList<int> Replicas { get; } = replicas;

    public int Leader { get; } = leader;

    public int LeaderEpoch { get; } = leaderEpoch;

    public IReadOnlyList<int> Isr { get; } = isr;

    public int PartitionEpoch { get; } = partitionEpoch;

    /// <summary>The eligible leader replicas; never in the ISR, empty while the ISR has at least min ISR members.</summary>
    public IReadOnlyList<int> Elr { get; } = elr ?? [];

    public bool IsReplica(int nodeId) => Replicas.Contains(nodeId);

    public bool IsInSync(int nodeId) => Isr.Contains(nodeId);

    public bool IsEligible(int nodeId) => Elr.Contains(nodeId);

    /// <summary>The next state: the leader epoch moves only if the leader changes, the partition epoch always;
    /// <paramref name="elr"/> null keeps the eligible leader replicas.</summary>
    public PartitionRegistration Change(int leader, int[] isr, int[]? elr = null)
        => new([.. Replicas], leader, leader == Leader ? LeaderEpoch : LeaderEpoch + 1, isr, PartitionEpoch + 1, elr ?? [.. Elr]);

    public override string ToString()
        => $"replicas=[{string.Join(',', Replicas)}] leader={Leader} leaderEpoch={LeaderEpoch} isr=[{string.Join(',', Isr)}] " +
           (Elr.Count > 0 ? $"elr=[{string.Join(',', Elr)}] " : "") + $"partitionEpoch={PartitionEpoch}";
}
