namespace LogStore.Storage.Replication;

/// <summary>Which way a proposed ISR change goes (Kafka's PendingExpandIsr / PendingShrinkIsr).</summary>
internal enum IsrChangeKind
{
    Expand,
    Shrink,
}

/// <summary>
/// An ISR change a leader has sent to the controller and not yet seen committed (Kafka's PendingPartitionChange): the
/// proposed ISR and the state it was computed from. While one is pending no other is proposed, and the high watermark
/// counts the larger of the two ISRs (Kafka's maximal ISR), so that it never moves past what a member of either holds.
/// Immutable.
/// </summary>
internal sealed class PendingIsrChange(IsrChangeKind kind, int[] proposedIsr, int[] replicas, int leaderEpoch, int partitionEpoch)
{
    public IsrChangeKind Kind { get; } = kind;

    public IReadOnlyList<int> ProposedIsr { get; } = proposedIsr;

    /// <summary>The replicas the proposal was computed with.</summary>
    public IReadOnlyList<int> Replicas { get; } = replicas;

    /// <summary>The leader epoch the proposal was computed in.</summary>
    public int LeaderEpoch { get; } = leaderEpoch;

    /// <summary>The partition epoch the proposal was computed from (the controller refuses it once that is stale).</summary>
    public int PartitionEpoch { get; } = partitionEpoch;

    public override string ToString() =>
        $"Pending{Kind}Isr([{string.Join(',', ProposedIsr)}], leaderEpoch {LeaderEpoch}, partitionEpoch {PartitionEpoch})";
}
