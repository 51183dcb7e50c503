namespace LogStore.Clients.Groups;

/// <summary>
/// One consumer's membership of a <see cref="ConsumerGroup"/> of this node, from join until it leaves or is evicted (a
/// consumer that rejoins gets a new member): an in-process consumer (which sees it as its
/// <see cref="IGroupMembership"/>), or a client over the network (<see cref="Remote"/>).
/// The mutable state belongs to the group and is read and written under its lock.
/// </summary>
internal sealed class GroupMember : IGroupMembership, IDisposable
{
    private ITimer? _heartbeat;

    public GroupMember(ConsumerGroup group, string memberId, string[] topics, PollSignal signal, TimeSpan sessionTimeout)
    {
        Group = group;
        MemberId = memberId;
        Topics = topics;
        Signal = signal;
        SessionTimeout = sessionTimeout;
    }

    /// <summary>The group.</summary>
    public ConsumerGroup Group { get; }

    /// <summary>The member id (Kafka's member.id): "consumer-{group}-{join sequence}-{uuid}", so members sort by join order.</summary>
    public string MemberId { get; }

    /// <summary>How long the member may go without polling (a network member: without a request).</summary>
    public TimeSpan SessionTimeout { get; }

    /// <summary>The protocol state of a member that joined over the network, null for an in-process consumer.</summary>
    public RemoteMemberState? Remote { get; init; }

    /// <summary>The consumer's signal: the group raises <see cref="PollSignal.GroupChanged"/> on it.</summary>
    public PollSignal Signal { get; }

    /// <summary>The subscribed topics (under the group's lock).</summary>
    public string[] Topics { get; set; }

    /// <summary>The partitions the member holds: taken and not yet released (under the group's lock).</summary>
    public HashSet<TopicPartition> Owned { get; } = [];

    /// <summary>What the last rebalance assigned it (under the group's lock).</summary>
    public List<TopicPartition> Target { get; set; } = [];

    /// <summary>The generation whose revocations the member has done (under the group's lock).</summary>
    public int SyncedGeneration { get; set; }

    /// <summary>False once the member left or was evicted (under the group's lock).</summary>
    public bool IsActive { get; set; } = true;

    /// <summary>True when the group evicted it for missing its session timeout (under the group's lock).</summary>
    public bool Evicted { get; set; }

    /// <summary>The poll count the last liveness check saw, and when (TimeProvider timestamp).</summary>
    public int LastSeenPollCount { get; set; }

    /// <summary>When the last liveness check saw the member poll (TimeProvider timestamp).</summary>
    public long LastSeenTimestamp { get; set; }

    /// <summary>Starts the periodic liveness check.</summary>
    public void StartHeartbeat(TimeProvider time, TimeSpan interval)
    {
        _heartbeat = time.CreateTimer(static state =>
        {
            var member = (GroupMember)state!;
            member.Group.CheckLiveness(member);
        }, this, interval, interval);
    }

    string IGroupMembership.GroupId => Group.GroupId;

    void IGroupMembership.UpdateSubscription(string[] topics) => Group.UpdateSubscription(this, topics);

    bool IGroupMembership.BeginSync(out List<TopicPartition> revoke) => Group.BeginSync(this, out revoke);

    void IGroupMembership.Release(IReadOnlyList<TopicPartition> partitions) => Group.Release(this, partitions);

    List<TopicPartition> IGroupMembership.TakeAssigned() => Group.TakeAssigned(this);

    void IGroupMembership.Commit(IReadOnlyList<(TopicPartition Partition, long? Offset)> offsets) => Group.Commit(this, offsets);

    void IGroupMembership.Leave() => Group.Leave(this);

    /// <summary>Stops the liveness check.</summary>
    public void Dispose() => Interlocked.Exchange(ref _heartbeat, null)?.Dispose();

    /// <inheritdoc/>
    public override string ToString() => MemberId;
}
