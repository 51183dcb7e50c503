using LogStore.Cluster.Metadata;
using LogStore.Cluster.Node;
using LogStore.Storage.Replication;

namespace LogStore.Clients.Groups;

/// <summary>
/// The broker-wide home of consumer groups (Kafka's GroupCoordinator): the groups by id and the store of their
/// committed offsets. Created on first use through <c>Broker.GetService</c> and disposed before the partitions
/// close, which stops every member's liveness timer. Thread-safe.
/// </summary>
/// <remarks>
/// In a cluster this node coordinates only the groups whose <c>__consumer_offsets</c> partition it leads (see
/// <see cref="OffsetStore"/>'s ownership): it follows the metadata publisher's role changes, loading a partition's
/// groups when it becomes its leader and unloading them (every member removed, in-process members told to rejoin)
/// when it stops. Network requests for other groups get NOT_COORDINATOR; in-process consumers reach those groups'
/// coordinators over the Kafka protocol (<see cref="Join"/>, <see cref="GetCommitted"/>, <see cref="CommitStandalone"/>).
/// </remarks>
internal sealed class GroupCoordinator : IAsyncDisposable
{
    private readonly Dictionary<string, ConsumerGroup> _groups = new(StringComparer.Ordinal);
    private readonly Lazy<OffsetStore> _offsets;
    private readonly Lazy<CoordinatorChannel> _channel;
    private readonly Lazy<RemoteOffsetClient> _remote;
    private int _memberSequence;
    private volatile bool _disposed;
    private BrokerMetadataPublisher? _publisher;

    public GroupCoordinator(Broker broker)
    {
        Broker = broker;
        _offsets = new Lazy<OffsetStore>(() => new OffsetStore(broker), LazyThreadSafetyMode.ExecutionAndPublication);
        _channel = new Lazy<CoordinatorChannel>(() => new CoordinatorChannel(broker, this), LazyThreadSafetyMode.ExecutionAndPublication);
        _remote = new Lazy<RemoteOffsetClient>(() => new RemoteOffsetClient(_channel.Value), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The broker.</summary>
    public Broker Broker { get; }

    /// <summary>The committed offsets of every group.</summary>
    public OffsetStore Offsets => _offsets.Value;

    /// <summary>The coordinator of <paramref name="broker"/>.</summary>
    public static GroupCoordinator For(Broker broker) => broker.GetService(static b => new GroupCoordinator(b));

    /// <summary>The group called <paramref name="groupId"/>, created empty on first use.</summary>
    /// <exception cref="NotCoordinatorException">In a cluster, another node coordinates the group (or none does now).</exception>
    public ConsumerGroup GetGroup(string groupId)
    {
        if (Broker.Options.Replication is not null)
        {
            EnsureSubscribed();
            Offsets.RequireCoordinator(groupId);
        }
        lock (_groups)
        {
            ThrowIfDisposed();
            if (!_groups.TryGetValue(groupId, out ConsumerGroup? group))
                _groups[groupId] = group = new ConsumerGroup(this, groupId);
            return group;
        }
    }

    /// <summary>
    /// Makes an in-process consumer a member of <paramref name="groupId"/>: of the group here when this node
    /// coordinates it (always on a single node), else at its coordinator over the Kafka protocol, as a Kafka client
    /// joins (<see cref="RemoteGroupMember"/>).
    /// </summary>
    /// <exception cref="InconsistentGroupProtocolException">The group's members use another assignment strategy.</exception>
    /// <exception cref="NotCoordinatorException">In a cluster, no coordinator answered in time.</exception>
    /// <exception cref="NetworkException">The coordinator could not be reached.</exception>
    public IGroupMembership Join(string groupId, string[] topics, ConsumerOptions options, PollSignal signal)
    {
        try
        {
            return GetGroup(groupId).Join(topics, options, signal);
        }
        catch (NotCoordinatorException) when (Broker.Options.Replication is not null)
        {
            return RemoteGroupMember.Join(_channel.Value, groupId, topics, options, signal);
        }
    }

    /// <summary>The group called <paramref name="groupId"/> when it was ever used in this process, else null.</summary>
    public ConsumerGroup? TryGetGroup(string groupId)
    {
        lock (_groups)
            return _groups.GetValueOrDefault(groupId);
    }

    /// <summary>The ids of the groups that have members now.</summary>
    public List<string> GroupsWithMembers()
    {
        ConsumerGroup[] groups;
        lock (_groups)
            groups = [.. _groups.Values];
        var ids = new List<string>();
        foreach (ConsumerGroup group in groups)
        {
            if (group.Snapshot().Targets.Count > 0)
                ids.Add(group.GroupId);
        }
        return ids;
    }

    /// <summary>Partitions were added to <paramref name="topic"/>: every group subscribed to it rebalances, so that they
    /// get assigned (Kafka's coordinator notices through the members' metadata refresh).</summary>
    public void OnPartitionsCreated(string topic)
    {
        ConsumerGroup[] groups;
        lock (_groups)
            groups = [.. _groups.Values];
        foreach (ConsumerGroup group in groups)
            group.OnPartitionsCreated(topic);
    }

    /// <summary>
    /// Whether this node coordinates <paramref name="groupId"/> now (always on a single node). A group this node no
    /// longer coordinates is unloaded here if the role change was not seen yet.
    /// </summary>
    /// <param name="groupId">The group.</param>
    /// <param name="coordinatorId">The coordinator's node id when known.</param>
    public CoordinatorStatus StatusOf(string groupId, out int? coordinatorId)
    {
        if (Broker.Options.Replication is null)
        {
            coordinatorId = null;
            return CoordinatorStatus.Coordinator;
        }
        EnsureSubscribed();
        CoordinatorStatus status = Offsets.StatusOf(groupId, out coordinatorId);
        if (status is CoordinatorStatus.NotCoordinator or CoordinatorStatus.NotAvailable && Offsets.PartitionOf(groupId) is int index)
            UnloadGroups(index);
        return status;
    }

    /// <summary>Follows the role changes of this node's replicas once the cluster side runs (it starts after the
    /// listener, so the first requests may come before it).</summary>
    private void EnsureSubscribed()
    {
        if (Volatile.Read(ref _publisher) is not null || Broker.ClusterServices?.Publisher is not { } publisher)
            return;
        lock (_groups)
        {
            if (_publisher is not null || _disposed)
                return;
            _publisher = publisher;
            publisher.RoleChanged += OnRoleChanged;
        }
        // Roles taken before the subscription: the leaders start loading now.
        if (Broker.TryGetTopic(OffsetStore.TopicName, out Topic? topic))
        {
            foreach (Partition partition in topic.Partitions)
            {
                if (!partition.IsOffline && partition.Replica.Role == ReplicaRole.Leader)
                    Offsets.OnElection(partition, partition.Replica.LeaderEpoch);
            }
        }
    }

    /// <summary>On the publisher's loop: quick, never throws. Kafka's onElection and onResignation.</summary>
    internal void OnRoleChanged(PartitionReplica replica, PartitionRegistration state)
    {
        if (replica.Id.Topic != OffsetStore.TopicName || _disposed)
            return;
        try
        {
            if (replica.Role == ReplicaRole.Leader)
            {
                if (Broker.TryGetTopic(OffsetStore.TopicName, out Topic? topic) && replica.Id.Partition < topic.Partitions.Count)
                    Offsets.OnElection(topic.Partitions[replica.Id.Partition], replica.LeaderEpoch);
            }
            else
            {
                Offsets.OnResignation(replica.Id.Partition);
                UnloadGroups(replica.Id.Partition);
            }
        }
        catch (ObjectDisposedException)
        {
            // The broker is closing.
        }
    }

    /// <summary>Removes the groups of offsets partition <paramref name="index"/>; their members are removed as if
    /// evicted, so in-process consumers look for the coordinator again at their next poll.</summary>
    private void UnloadGroups(int index)
    {
        List<ConsumerGroup>? gone = null;
        int partitions = Broker.TryGetTopic(OffsetStore.TopicName, out Topic? topic) ? topic.Partitions.Count : 0;
        if (partitions == 0)
            return;
        lock (_groups)
        {
            foreach ((string id, ConsumerGroup group) in _groups)
            {
                if (OffsetCommitCodec.PartitionFor(id, partitions) == index)
                    (gone ??= []).Add(group);
            }
            if (gone is null)
                return;
            foreach (ConsumerGroup group in gone)
                _groups.Remove(group.GroupId);
        }
        foreach (ConsumerGroup group in gone)
            group.Unload();
        GroupLog.PartitionUnloaded(Broker.Logger, new TopicPartition(OffsetStore.TopicName, index), gone.Count);
    }

    /// <summary>The committed offset of <paramref name="partition"/> for an in-process consumer: from this node's store
    /// when it coordinates the group (always on a single node), else from the coordinator over the Kafka protocol.</summary>
    /// <exception cref="NotCoordinatorException">In a cluster, no coordinator answered in time.</exception>
    /// <exception cref="NetworkException">The coordinator could not be reached.</exception>
    public long? GetCommitted(string groupId, TopicPartition partition)
    {
        try
        {
            return Offsets.Get(groupId, partition);
        }
        catch (NotCoordinatorException) when (Broker.Options.Replication is not null)
        {
            return _remote.Value.Get(groupId, partition);
        }
    }

    /// <summary>Commits for an in-process consumer outside the group's membership (partitions assigned by hand), as
    /// <see cref="GetCommitted"/> reaches the store.</summary>
    /// <exception cref="NotCoordinatorException">In a cluster, no coordinator answered in time.</exception>
    /// <exception cref="NetworkException">The coordinator could not be reached.</exception>
    /// <exception cref="CommitFailedException">The remote coordinator refused the commit.</exception>
    public void CommitStandalone(string groupId, IReadOnlyList<(TopicPartition Partition, long? Offset)> offsets)
    {
        try
        {
            Offsets.Commit(groupId, offsets);
        }
        catch (NotCoordinatorException) when (Broker.Options.Replication is not null)
        {
            _remote.Value.Commit(groupId, offsets);
        }
    }

    /// <summary>The next member sequence number, so member ids sort by join order.</summary>
    public int NextMemberSequence() => Interlocked.Increment(ref _memberSequence);

    public void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Broker.ThrowIfDisposed();
    }

    /// <summary>Stops every member's timer; consumers still open see <see cref="ObjectDisposedException"/>.</summary>
    public ValueTask DisposeAsync()
    {
        ConsumerGroup[] groups;
        lock (_groups)
        {
            _disposed = true;
            groups = [.. _groups.Values];
            if (_publisher is { } publisher)
                publisher.RoleChanged -= OnRoleChanged;
        }
        foreach (ConsumerGroup group in groups)
            group.Close();
        return ValueTask.CompletedTask;
    }
}
