namespace LogStore.Clients.Groups;

/// <summary>
/// The broker-wide home of consumer groups (Kafka's GroupCoordinator): the groups by id and the store of their
/// committed offsets. Created on first use through <c>Broker.GetService</c> and disposed before the partitions
/// close, which stops every member's liveness timer. Thread-safe.
/// </summary>
internal sealed class GroupCoordinator : IAsyncDisposable
{
    private readonly Dictionary<string, ConsumerGroup> _groups = new(StringComparer.Ordinal);
    private readonly Lazy<OffsetStore> _offsets;
    private int _memberSequence;
    private volatile bool _disposed;

    public GroupCoordinator(Broker broker)
    {
        Broker = broker;
        _offsets = new Lazy<OffsetStore>(() => new OffsetStore(broker), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The broker.</summary>
    public Broker Broker { get; }

    /// <summary>The committed offsets of every group.</summary>
    public OffsetStore Offsets => _offsets.Value;

    /// <summary>The coordinator of <paramref name="broker"/>.</summary>
    public static GroupCoordinator For(Broker broker) => broker.GetService(static b => new GroupCoordinator(b));

    /// <summary>The group called <paramref name="groupId"/>, created empty on first use.</summary>
    public ConsumerGroup GetGroup(string groupId)
    {
        lock (_groups)
        {
            ThrowIfDisposed();
            if (!_groups.TryGetValue(groupId, out ConsumerGroup? group))
                _groups[groupId] = group = new ConsumerGroup(this, groupId);
            return group;
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
        }
        foreach (ConsumerGroup group in groups)
            group.Close();
        return ValueTask.CompletedTask;
    }
}
