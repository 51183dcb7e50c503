using LogStore.Cluster;
using LogStore.Diagnostics;

namespace LogStore.Storage.Replication;

/// <summary>
/// The leader's replication state (Kafka's Partition on the leader): the replicas, the ISR and the partition epoch the
/// controller committed, each follower's fetch state, and the high watermark they move: the smallest log end over the
/// ISR (the leader's included; the larger ISR while a change is pending), only forward, and not at all while the ISR is
/// smaller than the topic's min.insync.replicas (KIP-966). Under the role lock; the waits the high watermark completes
/// are woken after it is released. In memory only: a new leader learns it from the controller's image and the fetches.
/// </summary>
internal sealed partial class PartitionReplica
{
    /// <summary>Kafka's replica.lag.time.max.ms default: 30 s.</summary>
    public static readonly TimeSpan DefaultReplicaLagTime = TimeSpan.FromSeconds(30);

    private int _localNodeId = -1;
    private int _partitionEpoch = -1;
    // Empty unless this node leads with the multi-replica BecomeLeader: nothing below runs for a single node.
    private int[] _replicas = [];
    private int[] _isr = [];
    private int[] _maximalIsr = [];
    private FollowerReplicaState[] _followers = [];
    private PendingIsrChange? _pendingIsrChange;
    // The log end when this leader epoch began: a follower joins the ISR only once it holds it (Kafka's
    // leaderEpochStartOffsetOpt), so that an ISR member always has every record of the current epoch's leader.
    private long _leaderEpochStartOffset;
    private IControllerChannel? _controller;
    private TimeSpan _replicaLagTime = DefaultReplicaLagTime;
    private bool _flushBeforeAcknowledge;
    private Func<int, bool>? _isrEligible;

    /// <summary>The partition's replicas while this node leads them (empty otherwise).</summary>
    public IReadOnlyList<int> Replicas
    {
        get
        {
            lock (_roleLock)
                return _replicas;
        }
    }

    /// <summary>The committed in-sync replicas while this node leads them (empty otherwise).</summary>
    public IReadOnlyList<int> InSyncReplicas => Volatile.Read(ref _isr);

    /// <summary>The ISR the high watermark counts: the committed one, or the larger proposed one while an expand is pending.</summary>
    public IReadOnlyList<int> MaximalIsr
    {
        get
        {
            lock (_roleLock)
                return _maximalIsr;
        }
    }

    /// <summary>The partition epoch of the state this leader applied last.</summary>
    public int PartitionEpoch
    {
        get
        {
            lock (_roleLock)
                return _partitionEpoch;
        }
    }

    /// <summary>The ISR change sent to the controller and not yet committed, or null.</summary>
    public PendingIsrChange? PendingIsrChange
    {
        get
        {
            lock (_roleLock)
                return _pendingIsrChange;
        }
    }

    /// <summary>How long a follower may stay behind before it leaves the ISR (replica.lag.time.max.ms).</summary>
    public TimeSpan ReplicaLagTime => _replicaLagTime;

    /// <summary>Where this leader sends ISR changes, its lag time, and whether its own log end counts toward the high
    /// watermark only once fsynced (<see cref="ReplicationOptions.FlushBeforeAcknowledge"/>, as its followers' do). Without
    /// a controller (a static cluster) an ISR change is applied here at once, as the only authority on it.
    /// <paramref name="isrEligible"/> tells whether a node may join an ISR now (Kafka's isReplicaIsrEligible: unfenced in
    /// the latest image); null: every replica may.</summary>
    public void UseController(IControllerChannel? controller, TimeSpan replicaLagTime, bool flushBeforeAcknowledge = false,
        Func<int, bool>? isrEligible = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(replicaLagTime, TimeSpan.Zero);
        lock (_roleLock)
        {
            _controller = controller;
            _replicaLagTime = replicaLagTime;
            _flushBeforeAcknowledge = flushBeforeAcknowledge;
            _isrEligible = isrEligible;
        }
    }

    /// <summary>Looks at the high watermark again after the nodes' eligibility changed (a node fenced or unfenced in a
    /// new image that left this partition's state alone): a fenced follower stops holding it back.</summary>
    public void OnIsrEligibilityChanged()
    {
        if (Role == ReplicaRole.Leader)
            IncrementHighWatermark();
    }

    /// <summary>
    /// Leads in <paramref name="leaderEpoch"/> with the controller's state of the partition. A new leader epoch starts a
    /// new leadership: the followers' states are reset (an in-sync one gets a full lag time to fetch), any pending ISR
    /// change is dropped. The same leader epoch again is a later state of the same leadership (see
    /// <see cref="ApplyPartitionState"/>). One replica alone makes this a sole leader: the high watermark is the log end.
    /// </summary>
    /// <exception cref="ArgumentException">The replicas or the ISR do not hold <paramref name="localNodeId"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An epoch below the current one.</exception>
    public void BecomeLeader(int leaderEpoch, int partitionEpoch, IReadOnlyList<int> replicas, IReadOnlyList<int> isr, int localNodeId)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        ArgumentNullException.ThrowIfNull(isr);
        if (!replicas.Contains(localNodeId) || !isr.Contains(localNodeId))
            throw new ArgumentException($"{Id}: node {localNodeId} leads, so it must be a replica and in the ISR (replicas [{string.Join(',', replicas)}], ISR [{string.Join(',', isr)}]).");
        DateTimeOffset now = Log.Time.GetUtcNow();
        long newHighWatermark;
        lock (_appendLock)
        lock (_roleLock)
        {
            if (_role == ReplicaRole.Leader && _replicas.Length > 0 && leaderEpoch == Log.LeaderEpoch && localNodeId == _localNodeId)
            {
                newHighWatermark = ApplyLocked(partitionEpoch, replicas, isr, now) ? ComputeHighWatermarkLocked(now) : -1;
            }
            else
            {
                bool isNewLeader = _role != ReplicaRole.Leader;
                Log.LeaderEpoch = leaderEpoch;
                _leaderId = localNodeId;
                _localNodeId = localNodeId;
                _partitionEpoch = partitionEpoch;
                _replicas = [.. replicas];
                _isr = [.. isr];
                _maximalIsr = _isr;
                _pendingIsrChange = null;
                RenewLeadershipLocked();
                _leaderEpochStartOffset = Log.LogEndOffset;
                var followers = new FollowerReplicaState[_replicas.Length - 1];
                int i = 0;
                foreach (int replica in _replicas)
                {
                    if (replica == localNodeId)
                        continue;
                    followers[i] = new FollowerReplicaState(replica);
                    followers[i++].Reset(now, _leaderEpochStartOffset, isNewLeader, isr.Contains(replica));
                }
                _followers = followers;
                SetSole(_replicas.Length == 1);
                _role = ReplicaRole.Leader;
                newHighWatermark = ComputeHighWatermarkLocked(now);
            }
        }
        AdvanceHighWatermark(newHighWatermark);
        // When its log end counts only once fsynced, a new leader holding records it never fsynced (taken as a follower,
        // or recovered after a crash) fsyncs them now: no append may come to do it, and the high watermark would wait.
        MaybeIncrementHighWatermark();
        OnReplicationStateChanged();
    }

    /// <summary>
    /// A later state of this leadership (the controller's image, an AlterPartition result): a new ISR, replicas or
    /// partition epoch at the current leader epoch. A state of another leader epoch or an older partition epoch is
    /// stale and ignored; the current partition epoch again changes nothing (so a pending change stays pending).
    /// </summary>
    /// <returns>True when the state was applied.</returns>
    public bool ApplyPartitionState(int leaderEpoch, int partitionEpoch, IReadOnlyList<int> replicas, IReadOnlyList<int> isr)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        ArgumentNullException.ThrowIfNull(isr);
        DateTimeOffset now = Log.Time.GetUtcNow();
        long newHighWatermark;
        lock (_roleLock)
        {
            if (_role != ReplicaRole.Leader || _replicas.Length == 0 || leaderEpoch != Log.LeaderEpoch
                || !replicas.Contains(_localNodeId) || !isr.Contains(_localNodeId) || !ApplyLocked(partitionEpoch, replicas, isr, now))
                return false;
            newHighWatermark = ComputeHighWatermarkLocked(now);
        }
        AdvanceHighWatermark(newHighWatermark);
        OnReplicationStateChanged();
        return true;
    }

    /// <summary>
    /// Records a follower's fetch from <paramref name="fetchOffset"/> (its log end) after the leader read for it: its
    /// state, then an ISR expansion when it has caught up, then the high watermark.
    /// </summary>
    /// <returns>False when this node does not lead or <paramref name="replicaId"/> is no follower of the partition
    /// (Kafka answers NOT_LEADER_OR_FOLLOWER).</returns>
    public bool UpdateFollowerFetchState(int replicaId, long fetchOffset, long logStartOffset, DateTimeOffset now)
    {
        PendingIsrChange? proposal;
        long newHighWatermark;
        lock (_roleLock)
        {
            if (_role != ReplicaRole.Leader || FindFollower(replicaId) is not { } follower)
                return false;
            follower.UpdateFetchState(fetchOffset, logStartOffset, Log.LogEndOffset, now);
            proposal = MaybeExpandIsrLocked(follower);
            newHighWatermark = ComputeHighWatermarkLocked(now);
        }
        AdvanceHighWatermark(newHighWatermark);
        if (proposal is not null)
            Submit(proposal);
        return true;
    }

    /// <summary>A copy of what this leader knows of follower <paramref name="replicaId"/>, or null.</summary>
    public (long LogEndOffset, long LogStartOffset, DateTimeOffset LastCaughtUpTime, DateTimeOffset LastFetchTime)? GetFollowerState(int replicaId)
    {
        lock (_roleLock)
        {
            return FindFollower(replicaId) is { } f ? (f.LogEndOffset, f.LogStartOffset, f.LastCaughtUpTime, f.LastFetchTime) : null;
        }
    }

    /// <summary>
    /// Kafka's strict min ISR (KIP-966) for an <c>Acks.All</c> append, before anything is appended. Only a
    /// partition with more than one replica is checked: alone, a replica is all the ISR there can be.
    /// </summary>
    /// <exception cref="NotEnoughReplicasException">Fewer in-sync replicas than min.insync.replicas.</exception>
    public void ThrowIfNotEnoughReplicas()
    {
        if (_sole)
            return;
        int[] isr = Volatile.Read(ref _isr);
        int min = Log.Config.MinInSyncReplicas;
        if (isr.Length > 0 && isr.Length < min)
            throw new NotEnoughReplicasException(Id, isr.Length, min);
    }

    /// <summary>After a leader append with followers: the ISR may be the leader alone, whose log end is then the HW. When
    /// the leader's log end counts only once fsynced, the append's group-commit fsync starts here and the high watermark
    /// is looked at again when it ends.</summary>
    private void MaybeIncrementHighWatermark()
    {
        if (_replicas.Length == 0)
            return;
        if (_flushBeforeAcknowledge && Log.RecoveryPoint < Log.LogEndOffset)
        {
            ValueTask flush = Log.FlushAsync(Log.LogEndOffset);
            if (!flush.IsCompletedSuccessfully)
            {
                _ = IncrementHighWatermarkAfterAsync(flush);
                return;
            }
        }
        IncrementHighWatermark();
    }

    private async Task IncrementHighWatermarkAfterAsync(ValueTask flush)
    {
        try
        {
            await flush.ConfigureAwait(false);
        }
        catch (Exception e) when (e is StorageException or ObjectDisposedException)
        {
            // A failed fsync is final for the log (it says so itself): nothing more is committed, acks=all times out.
            return;
        }
        IncrementHighWatermark();
    }

    private void IncrementHighWatermark()
    {
        DateTimeOffset now = Log.Time.GetUtcNow();
        long newHighWatermark;
        lock (_roleLock)
            newHighWatermark = ComputeHighWatermarkLocked(now);
        AdvanceHighWatermark(newHighWatermark);
    }

    /// <summary>Under the role lock: applies a state of a newer partition epoch; false when it is not newer.</summary>
    private bool ApplyLocked(int partitionEpoch, IReadOnlyList<int> replicas, IReadOnlyList<int> isr, DateTimeOffset now)
    {
        if (partitionEpoch <= _partitionEpoch)
            return false;
        _partitionEpoch = partitionEpoch;
        if (!replicas.SequenceEqual(_replicas))
        {
            // A reassignment: known followers keep their state, new ones start as a new leader sees them.
            var followers = new FollowerReplicaState[replicas.Count - 1];
            int i = 0;
            foreach (int replica in replicas)
            {
                if (replica == _localNodeId)
                    continue;
                if (FindFollower(replica) is { } known)
                {
                    followers[i++] = known;
                    continue;
                }
                followers[i] = new FollowerReplicaState(replica);
                followers[i++].Reset(now, Log.LogEndOffset, isNewLeader: true, isr.Contains(replica));
            }
            _followers = followers;
            _replicas = [.. replicas];
        }
        int[] previousIsr = _isr;
        foreach (FollowerReplicaState follower in _followers)
        {
            // Without this a follower the controller fenced, caught up until it died, froze the high watermark (and
            // every acks=all producer) for ReplicaLagTime after the ISR had already shrunk without it.
            if (!isr.Contains(follower.ReplicaId) && Array.IndexOf(previousIsr, follower.ReplicaId) >= 0)
                follower.MarkOutOfSync();
        }
        Volatile.Write(ref _isr, [.. isr]);
        _maximalIsr = _isr;
        _pendingIsrChange = null;
        SetSole(_replicas.Length == 1);
        // Committed, whoever proposed it (this leader's AlterPartition or the controller fencing a node).
        LogStoreMetrics.RecordIsrChange(Id, shrank: previousIsr.Any(m => !isr.Contains(m)), expanded: isr.Any(m => Array.IndexOf(previousIsr, m) < 0));
        return true;
    }

    /// <summary>Under the role lock (Kafka's maybeIncrementLeaderHW): the smallest log end over the maximal ISR and the
    /// followers caught up enough to join it; -1 (no move) when not leading with followers or below min ISR.</summary>
    private long ComputeHighWatermarkLocked(DateTimeOffset now)
    {
        if (_sole || _replicas.Length == 0 || _role != ReplicaRole.Leader)
            return -1;
        // KIP-966: with too few in-sync replicas nothing more is committed, so no acknowledged record rests on fewer copies.
        if (_isr.Length < Log.Config.MinInSyncReplicas)
            return -1;
        long leaderEnd = Log.LogEndOffset;
        long highWatermark = _flushBeforeAcknowledge ? Math.Min(leaderEnd, Log.RecoveryPoint) : leaderEnd;
        foreach (FollowerReplicaState follower in _followers)
        {
            // A caught-up follower about to join the ISR is waited for too, so the HW is never past what it holds then;
            // one that cannot join (fenced: stopped, or stopping after a controlled shutdown that fetched once on its
            // way out) is not, or it would hold every acks=all write for the lag time (Kafka's shouldWaitForReplicaToJoinIsr).
            if (follower.LogEndOffset < highWatermark
                && (Array.IndexOf(_maximalIsr, follower.ReplicaId) >= 0
                    || (follower.IsCaughtUp(leaderEnd, now, _replicaLagTime) && (_isrEligible?.Invoke(follower.ReplicaId) ?? true))))
                highWatermark = follower.LogEndOffset;
        }
        return highWatermark;
    }

    private FollowerReplicaState? FindFollower(int replicaId)
    {
        foreach (FollowerReplicaState follower in _followers)
        {
            if (follower.ReplicaId == replicaId)
                return follower;
        }
        return null;
    }

    /// <summary>Under the role lock, when leaving leadership: the follower states and any pending change go.</summary>
    private void ClearLeaderStateLocked()
    {
        _replicas = [];
        Volatile.Write(ref _isr, []);
        _maximalIsr = [];
        _followers = [];
        _pendingIsrChange = null;
        _partitionEpoch = -1;
        _localNodeId = -1;
    }
}
