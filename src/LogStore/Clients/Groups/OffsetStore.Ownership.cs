using System.Diagnostics;
using LogStore.Storage.Replication;

namespace LogStore.Clients.Groups;

/// <summary>What this node can do for a consumer group now (Kafka's GroupCoordinator.validateGroupStatus).</summary>
internal enum CoordinatorStatus
{
    /// <summary>This node coordinates the group and its offsets are loaded.</summary>
    Coordinator,

    /// <summary>Another node leads the group's offsets partition (NOT_COORDINATOR).</summary>
    NotCoordinator,

    /// <summary>This node leads the partition and is reading its groups from the log (COORDINATOR_LOAD_IN_PROGRESS).</summary>
    LoadInProgress,

    /// <summary>The offsets topic does not exist here yet, or its partition has no leader (COORDINATOR_NOT_AVAILABLE).</summary>
    NotAvailable,
}

/// <summary>
/// The cluster side of the store (Kafka's GroupMetadataManager.onElection/onResignation): this node coordinates group
/// g iff it leads <c>__consumer_offsets</c> partition partitionFor(g). Becoming leader of a partition (in a leader
/// epoch) starts a load of its records from the log start to the log end on the thread pool; until it is done the
/// partition's groups answer <see cref="CoordinatorStatus.LoadInProgress"/>. Ceasing to lead drops them from memory.
/// A load in flight when the node resigns stops at its next batch and applies nothing more.
/// </summary>
internal sealed partial class OffsetStore
{
    /// <summary>Kafka's offsets.commit.timeout.ms: how long a commit waits to be replicated before it fails.</summary>
    public static readonly TimeSpan CommitTimeout = TimeSpan.FromSeconds(5);

    private readonly bool _clustered;
    // In a cluster, per partition of the topic: the load for the leader epoch this node leads it in, null when it does
    // not lead it (or has not looked yet). Guarded by _lock.
    private PartitionLoad?[] _loads = [];

    /// <summary>
    /// Whether this node coordinates <paramref name="group"/>: always on a single node; in a cluster by the leadership of
    /// its offsets partition. A leader that has not loaded the partition in its current leader epoch starts the load
    /// here (a role change this store did not see is caught up with at the next request). Never creates the topic.
    /// </summary>
    /// <param name="group">The group.</param>
    /// <param name="coordinatorId">The leader of the group's partition when known (this node's id when it coordinates).</param>
    public CoordinatorStatus StatusOf(string group, out int? coordinatorId)
    {
        coordinatorId = null;
        if (!_clustered)
            return CoordinatorStatus.Coordinator;
        if (ClusterTopic() is not { } topic)
            return CoordinatorStatus.NotAvailable;
        int index = OffsetCommitCodec.PartitionFor(group, topic.Partitions.Count);
        Partition partition = topic.Partitions[index];
        // Before this node applied the controller's state of the partition, nobody is known to lead it.
        coordinatorId = partition.Registration is { Leader: >= 0 } state ? state.Leader : null;
        PartitionReplica replica = partition.Replica;
        if (partition.IsOffline || replica.Role != ReplicaRole.Leader)
        {
            OnResignation(index);
            return coordinatorId is null || partition.IsOffline ? CoordinatorStatus.NotAvailable : CoordinatorStatus.NotCoordinator;
        }
        return OnElection(partition, replica.LeaderEpoch).IsLoaded ? CoordinatorStatus.Coordinator : CoordinatorStatus.LoadInProgress;
    }

    /// <summary>
    /// The topic, once this node coordinates <paramref name="group"/> with its offsets loaded: the topic is created
    /// through the controller when missing, and a load in progress is waited for (at most <see cref="CommitTimeout"/>).
    /// </summary>
    /// <exception cref="NotCoordinatorException">Another node coordinates the group, or none does now.</exception>
    public Topic RequireCoordinator(string group)
    {
        if (ClusterTopic() is null)
        {
            _broker.ThrowIfDisposed();
            Topic created = _broker.GetOrCreateInternalTopicAsync(TopicName).AsTask().GetAwaiter().GetResult();
            Interlocked.CompareExchange(ref _topic, created, null);
        }
        long started = Stopwatch.GetTimestamp();
        while (true)
        {
            switch (StatusOf(group, out int? coordinatorId))
            {
                case CoordinatorStatus.Coordinator:
                    return _topic!;
                case CoordinatorStatus.LoadInProgress when Stopwatch.GetElapsedTime(started) < CommitTimeout:
                    // Completes, fails or times out; the status is looked at again either way.
                    try
                    {
                        LoadTaskOf(group)?.Wait(CommitTimeout);
                    }
                    catch (AggregateException)
                    {
                    }
                    continue;
                default:
                    throw new NotCoordinatorException(group, coordinatorId);
            }
        }
    }

    /// <summary>This node leads <paramref name="partition"/> in <paramref name="leaderEpoch"/>: its groups are loaded
    /// from the log unless they are already, or being, for that epoch. Quick: the load runs on the thread pool.</summary>
    public PartitionLoad OnElection(Partition partition, int leaderEpoch)
    {
        int index = partition.Id.Partition;
        // Known before the slots are sized and the groups of the partition are told apart.
        ClusterTopic();
        lock (_lock)
        {
            EnsureLoadSlots(index);
            if (_loads[index] is { } current && current.LeaderEpoch == leaderEpoch)
                return current;
            // A newer epoch: another leader may have taken commits in between, so the partition is read again.
            RemoveGroupsLocked(index);
            var load = new PartitionLoad(index, leaderEpoch);
            _loads[index] = load;
            load.Task = Task.Run(() => RunLoad(partition, load));
            return load;
        }
    }

    /// <summary>This node stopped leading partition <paramref name="index"/>: its groups' offsets leave memory.</summary>
    /// <returns>True when it had them (loaded or loading).</returns>
    public bool OnResignation(int index)
    {
        lock (_lock)
        {
            if (index >= _loads.Length || _loads[index] is null)
                return false;
            _loads[index] = null;
            RemoveGroupsLocked(index);
            return true;
        }
    }

    /// <summary>The partition of the offsets topic <paramref name="group"/> belongs to, when the topic exists here.</summary>
    public int? PartitionOf(string group) =>
        ClusterTopic() is { } topic ? OffsetCommitCodec.PartitionFor(group, topic.Partitions.Count) : null;

    private void RunLoad(Partition partition, PartitionLoad load)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            long next = partition.LogStartOffset;
            long records = Load(partition, ref next, load);
            lock (_lock)
            {
                if (!IsCurrent(load))
                    return;
                load.IsLoaded = true;
            }
            GroupLog.PartitionLoaded(_broker.Logger, partition.Id, load.LeaderEpoch, records, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception e) when (e is LogStoreException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The next request for one of its groups starts the load again.
            lock (_lock)
            {
                if (IsCurrent(load))
                {
                    _loads[load.Index] = null;
                    RemoveGroupsLocked(load.Index);
                }
            }
            GroupLog.PartitionLoadFailed(_broker.Logger, partition.Id, load.LeaderEpoch, e);
        }
    }

    private Task? LoadTaskOf(string group)
    {
        lock (_lock)
            return PartitionOf(group) is int index && index < _loads.Length ? _loads[index]?.Task : null;
    }

    /// <summary>Under the lock: true when <paramref name="load"/> is still the partition's.</summary>
    private bool IsCurrent(PartitionLoad load) => load.Index < _loads.Length && ReferenceEquals(_loads[load.Index], load);

    /// <summary>Under the lock: true when partition <paramref name="index"/> is loaded in <paramref name="leaderEpoch"/>.</summary>
    private bool IsLoadedIn(int index, int leaderEpoch) =>
        index < _loads.Length && _loads[index] is { IsLoaded: true } load && load.LeaderEpoch == leaderEpoch;

    private Topic? ClusterTopic()
    {
        if (Volatile.Read(ref _topic) is { } topic)
            return topic;
        if (!_broker.TryGetTopic(TopicName, out Topic? found))
            return null;
        return Interlocked.CompareExchange(ref _topic, found, null) ?? found;
    }

    private void EnsureLoadSlots(int index)
    {
        if (index >= _loads.Length)
            Array.Resize(ref _loads, Math.Max(index + 1, _topic?.Partitions.Count ?? 0));
    }

    /// <summary>Under the lock: forgets the offsets of every group of partition <paramref name="index"/>.</summary>
    private void RemoveGroupsLocked(int index)
    {
        int partitions = _topic?.Partitions.Count ?? 0;
        if (partitions == 0)
            return;
        List<string>? gone = null;
        foreach (string group in _groups.Keys)
        {
            if (OffsetCommitCodec.PartitionFor(group, partitions) == index)
                (gone ??= []).Add(group);
        }
        if (gone is not null)
        {
            foreach (string group in gone)
                _groups.Remove(group);
        }
    }

    /// <summary>One partition's load for one leader epoch.</summary>
    internal sealed class PartitionLoad(int index, int leaderEpoch)
    {
        public int Index { get; } = index;

        public int LeaderEpoch { get; } = leaderEpoch;

        private volatile bool _loaded;

        public bool IsLoaded
        {
            get => _loaded;
            set => _loaded = value;
        }

        public Task Task { get; set; } = Task.CompletedTask;
    }

    /// <summary>A commit in a cluster is answered once the offsets partition's high watermark passes it (every in-sync
    /// replica holds it), as Kafka's coordinator answers with acks=all; its NotLeaderException becomes NOT_COORDINATOR in
    /// <see cref="CompleteAsync"/>. On a sole leader the high watermark is the log end: it returns at once.</summary>
    private static ValueTask WaitForReplicationAsync(PartitionReplica replica, long requiredOffset, CancellationToken cancellationToken) =>
        replica.WaitForHighWatermarkAsync(requiredOffset, CommitTimeout, cancellationToken);
}
