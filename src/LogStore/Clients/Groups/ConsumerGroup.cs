namespace LogStore.Clients.Groups;

/// <summary>
/// The membership, generation and partition ownership of one consumer group in one broker (Kafka's group
/// coordinator state for a group). Thread-safe: every method takes the group's lock, and none calls user code.
/// </summary>
/// <remarks>
/// <para><b>Rebalance.</b> A join, a leave, a subscription change or an eviction recomputes the whole assignment at
/// once with the group's assignor, bumps <see cref="Generation"/>, stores each member's new target and raises
/// <see cref="PollSignal.GroupChanged"/> on every member. Nothing is taken from anyone at that moment.</para>
/// <para><b>Hand-over.</b> Each member acts on the change on its own thread, inside its next (or current)
/// ConsumeAsync: <see cref="BeginSync"/> tells it what to revoke (everything it owns under the eager protocol, only
/// what leaves it under the cooperative one); it commits and raises PartitionsRevoked while it still owns them, then
/// <see cref="Release"/>s them; <see cref="TakeAssigned"/> then gives it the partitions of its target that nobody
/// owns any more (eager: all of them at once, or none yet; cooperative: whichever are free). A partition therefore
/// always has at most one owner, and its new owner starts from the offset its previous owner committed on revoke.
/// A member that never polls blocks the hand-over of its partitions until its session times out.</para>
/// <para><b>Fencing.</b> A commit is accepted only from an active member for partitions it owns at that moment,
/// checked and appended under the lock (<see cref="Commit"/>). An evicted member, or one committing partitions that
/// were handed over, gets <see cref="CommitFailedException"/> and stores nothing.</para>
/// </remarks>
internal sealed partial class ConsumerGroup
{
    private readonly GroupCoordinator _coordinator;
    private readonly Lock _lock = new();
    private readonly List<GroupMember> _members = [];
    private readonly Dictionary<TopicPartition, GroupMember> _owners = [];
    private IPartitionAssignor? _assignor;
    private int _generation;
    // Set once this node stops coordinating the group (see Unload).
    private bool _unloaded;

    // The partition count of each subscribed topic at the last rebalance (0: the topic did not exist).
    private Dictionary<string, int> _partitionCounts = [];

    public ConsumerGroup(GroupCoordinator coordinator, string groupId)
    {
        _coordinator = coordinator;
        GroupId = groupId;
    }

    /// <summary>The group id.</summary>
    public string GroupId { get; }

    /// <summary>The current generation: 0 before the first member joins, then +1 per rebalance.</summary>
    public int Generation
    {
        get
        {
            lock (_lock)
                return _generation;
        }
    }

    /// <summary>Adds a member subscribed to <paramref name="topics"/> and rebalances.</summary>
    /// <exception cref="InconsistentGroupProtocolException">The group's members use another assignment strategy.</exception>
    public GroupMember Join(string[] topics, ConsumerOptions options, PollSignal signal)
    {
        IPartitionAssignor assignor = AssignorFor(options.PartitionAssignmentStrategy);
        TimeProvider time = _coordinator.Broker.Options.TimeProvider;
        GroupMember member;
        lock (_lock)
        {
            _coordinator.ThrowIfDisposed();
            ThrowIfUnloadedLocked();
            UseAssignorLocked(assignor);
            string memberId = NewMemberId();
            member = new GroupMember(this, memberId, topics, signal, options.SessionTimeout)
            {
                LastSeenPollCount = signal.PollCount,
                LastSeenTimestamp = time.GetTimestamp(),
            };
            _members.Add(member);
            GroupLog.MemberJoined(_coordinator.Broker.Logger, GroupId, memberId, string.Join(",", topics));
            RebalanceLocked();
        }
        member.StartHeartbeat(time, options.HeartbeatInterval);
        return member;
    }

    /// <summary>A new member id: "consumer-{group}-{join sequence}-{uuid}", so members sort by join order.</summary>
    public string NewMemberId() => $"consumer-{GroupId}-{_coordinator.NextMemberSequence():D6}-{Guid.NewGuid():N}";

    /// <summary>Makes <paramref name="assignor"/> the group's, unless members use another.</summary>
    /// <exception cref="InconsistentGroupProtocolException">The group's members use another assignment strategy.</exception>
    private void UseAssignorLocked(IPartitionAssignor assignor)
    {
        if (_members.Count > 0 && _assignor is not null && _assignor != assignor)
            throw new InconsistentGroupProtocolException(GroupId, _assignor.Name, assignor.Name);
        _assignor = assignor;
    }

    /// <summary>Changes what <paramref name="member"/> subscribes to and rebalances.</summary>
    public void UpdateSubscription(GroupMember member, string[] topics)
    {
        lock (_lock)
        {
            if (!member.IsActive)
                return;
            member.Topics = topics;
            RebalanceLocked();
        }
    }

    /// <summary>Rebalances when a member subscribes to <paramref name="topic"/>, which has new partitions.</summary>
    public void OnPartitionsCreated(string topic)
    {
        lock (_lock)
        {
            foreach (GroupMember member in _members)
            {
                if (Array.IndexOf(member.Topics, topic) >= 0)
                {
                    RebalanceLocked();
                    return;
                }
            }
        }
    }

    /// <summary>Removes <paramref name="member"/>, releasing whatever it still owns, and rebalances the others.</summary>
    public void Leave(GroupMember member)
    {
        lock (_lock)
        {
            if (!member.IsActive)
                return;
            RemoveLocked(member);
            GroupLog.MemberLeft(_coordinator.Broker.Logger, GroupId, member.MemberId);
            RebalanceLocked();
        }
    }

    /// <summary>
    /// Starts acting on a change: returns true when the member was evicted, else the partitions it must revoke now
    /// (sorted). The consumer revokes them, then calls <see cref="Release"/>.
    /// </summary>
    public bool BeginSync(GroupMember member, out List<TopicPartition> revoke)
    {
        revoke = [];
        lock (_lock)
        {
            if (member.Evicted || !member.IsActive)
                return member.Evicted;
            bool eagerRevokeAll = member.SyncedGeneration != _generation && _assignor!.Protocol == RebalanceProtocol.Eager;
            member.SyncedGeneration = _generation;
            var target = new HashSet<TopicPartition>(member.Target);
            foreach (TopicPartition tp in member.Owned)
            {
                if (eagerRevokeAll || !target.Contains(tp))
                    revoke.Add(tp);
            }
        }
        revoke.Sort(AssignorSupport.PartitionOrder);
        return false;
    }

    /// <summary>Gives up <paramref name="partitions"/> and wakes the members waiting for them.</summary>
    public void Release(GroupMember member, IReadOnlyList<TopicPartition> partitions)
    {
        lock (_lock)
        {
            foreach (TopicPartition tp in partitions)
                ReleaseLocked(member, tp);
            WakeWaitingMembersLocked(except: member);
        }
    }

    /// <summary>
    /// Takes the partitions of the member's target that nobody owns: under the eager protocol all of them once all are
    /// free (or none yet), under the cooperative one whichever are free. Returns them sorted, possibly empty.
    /// </summary>
    public List<TopicPartition> TakeAssigned(GroupMember member)
    {
        var taken = new List<TopicPartition>();
        lock (_lock)
        {
            if (!member.IsActive || member.SyncedGeneration != _generation)
                return taken;
            bool eager = _assignor!.Protocol == RebalanceProtocol.Eager;
            foreach (TopicPartition tp in member.Target)
            {
                if (member.Owned.Contains(tp))
                    continue;
                if (!_owners.ContainsKey(tp))
                    taken.Add(tp);
                else if (eager)
                    return [];
            }
            foreach (TopicPartition tp in taken)
            {
                _owners[tp] = member;
                member.Owned.Add(tp);
            }
        }
        return taken;
    }

    /// <summary>
    /// Checks that <paramref name="member"/> may commit <paramref name="offsets"/> and stores them, atomically with
    /// respect to rebalances and eviction (the lock is held across the append and its fsync).
    /// </summary>
    /// <exception cref="CommitFailedException">The member was evicted or left, or does not own one of the partitions; nothing is stored.</exception>
    public void Commit(GroupMember member, IReadOnlyList<(TopicPartition Partition, long? Offset)> offsets)
    {
        lock (_lock)
        {
            if (!member.IsActive)
            {
                string why = member.Evicted
                    ? "it was evicted from the group after missing its session timeout, and its partitions were given to other members"
                    : "it left the group";
                throw new CommitFailedException(GroupId, member.MemberId, _generation, why);
            }
            foreach ((TopicPartition tp, _) in offsets)
            {
                if (!_owners.TryGetValue(tp, out GroupMember? owner) || owner != member)
                {
                    throw new CommitFailedException(GroupId, member.MemberId, _generation,
                        $"{tp} is not assigned to it; a rebalance gave it to another member or it was never assigned.");
                }
            }
            _coordinator.Offsets.Commit(GroupId, offsets);
        }
    }

    /// <summary>Who owns each partition now, and each member's target (a snapshot for tests and diagnostics).</summary>
    public (Dictionary<TopicPartition, string> Owners, Dictionary<string, List<TopicPartition>> Targets) Snapshot()
    {
        lock (_lock)
        {
            var owners = new Dictionary<TopicPartition, string>();
            foreach ((TopicPartition tp, GroupMember member) in _owners)
                owners[tp] = member.MemberId;
            var targets = new Dictionary<string, List<TopicPartition>>(StringComparer.Ordinal);
            foreach (GroupMember member in _members)
                targets[member.MemberId] = [.. member.Target];
            return (owners, targets);
        }
    }
}
