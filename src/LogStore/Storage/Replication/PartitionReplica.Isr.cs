using LogStore.Cluster;
using LogStore.Cluster.Metadata;

namespace LogStore.Storage.Replication;

/// <summary>
/// ISR changes on the leader (Kafka's maybeExpandIsr / maybeShrinkIsr and AlterPartition): a follower joins once its log
/// end reaches the high watermark and the current leader epoch's start, and leaves when it has not been caught up for
/// <see cref="ReplicaLagTime"/>. Each change is proposed to the controller, one at a time per partition, and takes effect
/// only when committed (<see cref="ApplyPartitionState"/> of the result or a newer image). A refusal for a stale state
/// (InvalidUpdateVersion, an unknown partition) waits for the image; any other failure drops the proposal, so that the
/// next fetch or lag check proposes again.
/// </summary>
internal sealed partial class PartitionReplica
{
    private CancellationTokenSource _leadershipCancellation = new();
    private Task _lastIsrChangeSent = Task.CompletedTask;

    /// <summary>The last proposal's send, done once its result (or failure) is applied; it never fails.</summary>
    internal Task LastIsrChangeSent => Volatile.Read(ref _lastIsrChangeSent);

    /// <summary>
    /// The periodic lag check (Kafka's isr-expiration task): proposes to drop every in-sync follower not caught up within
    /// <see cref="ReplicaLagTime"/> of <paramref name="now"/>. Nothing happens while a change is pending.
    /// </summary>
    /// <returns>True when a shrink was proposed.</returns>
    public bool MaybeShrinkIsr(DateTimeOffset now)
    {
        if (_sole)
            return false;
        PendingIsrChange proposal;
        lock (_roleLock)
        {
            if (_role != ReplicaRole.Leader || _followers.Length == 0 || _pendingIsrChange is not null)
                return false;
            long leaderEnd = Log.LogEndOffset;
            int outOfSync = 0;
            foreach (FollowerReplicaState follower in _followers)
            {
                if (Array.IndexOf(_isr, follower.ReplicaId) >= 0 && !follower.IsCaughtUp(leaderEnd, now, _replicaLagTime))
                    outOfSync++;
            }
            if (outOfSync == 0)
                return false;
            var isr = new int[_isr.Length - outOfSync];
            int i = 0;
            foreach (int member in _isr)
            {
                if (member == _localNodeId || FindFollower(member) is not { } follower || follower.IsCaughtUp(leaderEnd, now, _replicaLagTime))
                    isr[i++] = member;
            }
            // The HW keeps counting the larger, committed ISR until the controller commits the smaller one.
            proposal = new PendingIsrChange(IsrChangeKind.Shrink, isr, _replicas, Log.LeaderEpoch, _partitionEpoch);
            _pendingIsrChange = proposal;
            _maximalIsr = _isr;
        }
        Submit(proposal);
        return true;
    }

    /// <summary>Under the role lock: the expansion <paramref name="follower"/>'s fetch earns, now pending, or null.</summary>
    private PendingIsrChange? MaybeExpandIsrLocked(FollowerReplicaState follower)
    {
        if (_pendingIsrChange is not null || Array.IndexOf(_isr, follower.ReplicaId) >= 0)
            return null;
        // A fenced node's expansion would be refused by the controller (Kafka's canAddReplicaToIsr asks first, too).
        if (_isrEligible is { } eligible && !eligible(follower.ReplicaId))
            return null;
        long end = follower.LogEndOffset;
        if (end < HighWatermark || end < _leaderEpochStartOffset)
            return null;
        int[] isr = [.. _isr, follower.ReplicaId];
        var proposal = new PendingIsrChange(IsrChangeKind.Expand, isr, _replicas, Log.LeaderEpoch, _partitionEpoch);
        _pendingIsrChange = proposal;
        // Counted at once: the HW must not pass what the joining follower holds, or it would join lacking committed records.
        _maximalIsr = isr;
        return proposal;
    }

    /// <summary>Sends a proposal to the controller, off the caller's path; without one, commits it here.</summary>
    private void Submit(PendingIsrChange proposal)
    {
        IControllerChannel? controller;
        CancellationToken leadership;
        int leaderId;
        lock (_roleLock)
        {
            controller = _controller;
            leadership = _leadershipCancellation.Token;
            leaderId = _localNodeId;
        }
        if (controller is null)
        {
            ApplyPartitionState(proposal.LeaderEpoch, proposal.PartitionEpoch + 1, proposal.Replicas, proposal.ProposedIsr);
            return;
        }
        _lastIsrChangeSent = SendAlterPartitionAsync(controller, leaderId, proposal, leadership);
    }

    private async Task SendAlterPartitionAsync(IControllerChannel controller, int leaderId, PendingIsrChange proposal, CancellationToken leadership)
    {
        try
        {
            PartitionRegistration committed = await controller.AlterPartitionAsync(Id, leaderId, proposal.LeaderEpoch,
                proposal.PartitionEpoch, proposal.ProposedIsr, leadership).ConfigureAwait(false);
            // Stale (another leader epoch, an older partition epoch than an image applied meanwhile): ignored.
            ApplyPartitionState(committed.LeaderEpoch, committed.PartitionEpoch, committed.Replicas, committed.Isr);
        }
        catch (Exception e) when (e is InvalidUpdateVersionException or UnknownTopicException or OperationCanceledException)
        {
            // The controller holds a newer state, or this leadership ended: the image brings it and clears the proposal.
        }
        catch (Exception)
        {
            // Refused (an ineligible replica) or unreachable: back to the committed state, to be proposed again.
            lock (_roleLock)
            {
                if (ReferenceEquals(_pendingIsrChange, proposal))
                {
                    _pendingIsrChange = null;
                    _maximalIsr = _isr;
                }
            }
        }
    }

    /// <summary>Under the role lock, when a leadership ends or starts: proposals of the old one are abandoned.</summary>
    private void RenewLeadershipLocked()
    {
        // Not disposed: a send still holding its token only needs to see it cancelled.
        _leadershipCancellation.Cancel();
        _leadershipCancellation = new CancellationTokenSource();
    }
}
