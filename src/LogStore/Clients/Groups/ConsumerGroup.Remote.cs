namespace LogStore.Clients.Groups;

/// <summary>
/// Members over the network: clients of Kafka's classic group protocol join the same group as in-process consumers.
/// </summary>
/// <remarks>
/// <para>The group keeps assigning broker-side: a network member's JoinGroup adds a <see cref="GroupMember"/> with a
/// <see cref="RemoteMemberState"/> and rebalances like an in-process join; its SyncGroup returns its target. Kafka's
/// JoinGroup barrier (every member rejoins before anyone gets an assignment) exists so that no partition has two
/// owners; here the ownership table gives that guarantee for both kinds of members, so a JoinGroup answers at once
/// and SyncGroup hands over only partitions nobody else owns.</para>
/// <para>A network member gives partitions back by rejoining: an eager client (range, roundrobin) has revoked
/// everything when it rejoins; a cooperative one still holds the partitions its subscription lists as owned and
/// releases the others. A rebalance asks it to rejoin (Heartbeat answers REBALANCE_IN_PROGRESS), and so does a
/// partition of its target that became free after its SyncGroup.</para>
/// </remarks>
internal sealed partial class ConsumerGroup
{
    private const int MaxPendingMemberIds = 1024;

    // KIP-394: ids handed out by MEMBER_ID_REQUIRED, valid for one session timeout, by the time they were handed out.
    private readonly Dictionary<string, (long IssuedAt, TimeSpan SessionTimeout)> _pendingMemberIds = new(StringComparer.Ordinal);

    /// <summary>
    /// The assignor a joining network member must use: the group's while it has members, else the first of
    /// <paramref name="offered"/> (by Kafka name) that LogStore implements; null when none fits.
    /// </summary>
    public IPartitionAssignor? ChooseAssignor(IReadOnlyList<string> offered)
    {
        lock (_lock)
        {
            if (_members.Count > 0 && _assignor is not null)
                return offered.Contains(_assignor.Name) ? _assignor : null;
        }
        foreach (string name in offered)
        {
            if (AssignorNamed(name) is { } assignor)
                return assignor;
        }
        return null;
    }

    /// <summary>The name of the group's assignor while it has members, else null.</summary>
    public string? ProtocolName
    {
        get
        {
            lock (_lock)
                return _members.Count > 0 ? _assignor?.Name : null;
        }
    }

    /// <summary>A member id for a first JoinGroup (MEMBER_ID_REQUIRED), valid for one session timeout; null when too
    /// many are pending.</summary>
    public string? IssueMemberId(TimeSpan sessionTimeout)
    {
        TimeProvider time = _coordinator.Broker.Options.TimeProvider;
        string memberId = NewMemberId();
        lock (_lock)
        {
            long now = time.GetTimestamp();
            if (_pendingMemberIds.Count >= MaxPendingMemberIds)
            {
                foreach ((string id, (long issuedAt, TimeSpan timeout)) in _pendingMemberIds)
                {
                    if (time.GetElapsedTime(issuedAt, now) >= timeout)
                        _pendingMemberIds.Remove(id);
                }
                if (_pendingMemberIds.Count >= MaxPendingMemberIds)
                    return null;
            }
            _pendingMemberIds[memberId] = (now, sessionTimeout);
        }
        return memberId;
    }

    /// <summary>True (and forgets it) when <paramref name="memberId"/> was issued and has not expired.</summary>
    public bool ClaimIssuedMemberId(string memberId)
    {
        TimeProvider time = _coordinator.Broker.Options.TimeProvider;
        lock (_lock)
        {
            if (!_pendingMemberIds.Remove(memberId, out var issued))
                return false;
            return time.GetElapsedTime(issued.IssuedAt) < issued.SessionTimeout;
        }
    }

    /// <summary>The active network member called <paramref name="memberId"/>, or with static id
    /// <paramref name="groupInstanceId"/> when the member id is empty; null when there is none.</summary>
    public GroupMember? FindRemote(string memberId, string? groupInstanceId = null)
    {
        lock (_lock)
            return FindRemoteLocked(memberId, groupInstanceId);
    }

    /// <summary>Adds a network member and rebalances; the member is in the new generation.</summary>
    /// <exception cref="InconsistentGroupProtocolException">The group's members use another assignor.</exception>
    public GroupMember JoinRemote(string memberId, RemoteJoin join)
    {
        TimeProvider time = _coordinator.Broker.Options.TimeProvider;
        GroupMember member;
        lock (_lock)
        {
            _coordinator.ThrowIfDisposed();
            ThrowIfUnloadedLocked();
            // A static member that restarts takes its old place (KIP-345): the old incarnation is fenced out.
            if (join.GroupInstanceId is { } instance && FindRemoteLocked("", instance) is { } previous)
            {
                RemoveLocked(previous);
                GroupLog.MemberLeft(_coordinator.Broker.Logger, GroupId, previous.MemberId);
            }
            UseAssignorLocked(join.Assignor);
            member = new GroupMember(this, memberId, join.Topics, new PollSignal(), join.SessionTimeout)
            {
                LastSeenTimestamp = time.GetTimestamp(),
                Remote = new RemoteMemberState
                {
                    RebalanceTimeout = join.RebalanceTimeout,
                    GroupInstanceId = join.GroupInstanceId,
                    Metadata = join.Metadata,
                    SubscriptionVersion = join.SubscriptionVersion,
                },
            };
            _members.Add(member);
            GroupLog.MemberJoined(_coordinator.Broker.Logger, GroupId, memberId, string.Join(",", join.Topics));
            RebalanceLocked();
            MarkJoinedLocked(member);
        }
        member.StartHeartbeat(time, LivenessCheckInterval(join.SessionTimeout));
        return member;
    }

    /// <summary>
    /// A member's JoinGroup after its first: releases what it gave up (eager: everything; cooperative: whatever its
    /// subscription no longer lists as owned), rebalances when its topics changed, and puts it in the current
    /// generation.
    /// </summary>
    /// <exception cref="InconsistentGroupProtocolException">The group's members use another assignor.</exception>
    public RemoteResult RejoinRemote(GroupMember member, RemoteJoin join)
    {
        lock (_lock)
        {
            if (!member.IsActive || member.Remote is not { } remote)
                return RemoteResult.UnknownMember;
            UseAssignorLocked(join.Assignor);
            member.LastSeenTimestamp = _coordinator.Broker.Options.TimeProvider.GetTimestamp();
            bool eager = join.Assignor.Protocol == RebalanceProtocol.Eager;
            var released = new List<TopicPartition>();
            foreach (TopicPartition tp in member.Owned)
            {
                if (eager || !join.OwnedPartitions.Contains(tp))
                    released.Add(tp);
            }
            foreach (TopicPartition tp in released)
                ReleaseLocked(member, tp);
            remote.RebalanceTimeout = join.RebalanceTimeout;
            remote.Metadata = join.Metadata;
            remote.SubscriptionVersion = join.SubscriptionVersion;
            if (!join.Topics.AsSpan().SequenceEqual(member.Topics))
            {
                member.Topics = join.Topics;
                RebalanceLocked();
            }
            MarkJoinedLocked(member);
            if (released.Count > 0)
                WakeWaitingMembersLocked(except: member);
            return RemoteResult.Ok;
        }
    }

    /// <summary>
    /// A member's SyncGroup: takes the partitions of its target that nobody else owns and returns what it owns of its
    /// target (sorted). An eager member gets its target whole, so while another member still holds part of it the
    /// answer is <see cref="RemoteResult.Waiting"/> and nothing is taken, unless <paramref name="takeWhatIsFree"/>
    /// (the wait is over: it gets the free part now and is asked to rejoin for the rest). A cooperative member never
    /// waits: Kafka's cooperative protocol hands over the rest in a later rebalance.
    /// </summary>
    public RemoteResult SyncRemote(GroupMember member, int generation, bool takeWhatIsFree, out List<TopicPartition> assignment)
    {
        assignment = [];
        lock (_lock)
        {
            RemoteResult result = CheckMemberLocked(member, generation);
            if (result != RemoteResult.Ok)
                return result;
            RemoteMemberState remote = member.Remote!;
            if (_generation != remote.JoinedGeneration)
                return RemoteResult.RebalanceInProgress;
            if (_assignor!.Protocol == RebalanceProtocol.Eager && !takeWhatIsFree)
            {
                foreach (TopicPartition tp in member.Target)
                {
                    if (_owners.TryGetValue(tp, out GroupMember? owner) && owner != member)
                        return RemoteResult.Waiting;
                }
            }
            foreach (TopicPartition tp in member.Target)
            {
                if (_owners.TryAdd(tp, member))
                    member.Owned.Add(tp);
                if (member.Owned.Contains(tp))
                    assignment.Add(tp);
            }
            remote.Synced = true;
        }
        assignment.Sort(AssignorSupport.PartitionOrder);
        return RemoteResult.Ok;
    }

    /// <summary>
    /// A member's Heartbeat: alive; <see cref="RemoteResult.RebalanceInProgress"/> when it must rejoin (the group
    /// rebalanced since it joined, a subscribed topic's partitions changed, or a partition of its target that it
    /// lacks became free).
    /// </summary>
    public RemoteResult HeartbeatRemote(GroupMember member, int generation)
    {
        lock (_lock)
        {
            RemoteResult result = CheckMemberLocked(member, generation);
            if (result != RemoteResult.Ok)
                return result;
            RemoteMemberState remote = member.Remote!;
            if (_generation == remote.JoinedGeneration && PartitionCountsChangedLocked())
                RebalanceLocked();
            if (_generation != remote.JoinedGeneration)
                return RemoteResult.RebalanceInProgress;
            if (remote.Synced)
            {
                foreach (TopicPartition tp in member.Target)
                {
                    if (!_owners.ContainsKey(tp))
                        return RemoteResult.RebalanceInProgress;
                }
            }
            return RemoteResult.Ok;
        }
    }

    /// <summary>
    /// A member's OffsetCommit, fenced as an in-process member's: stored only when it is a member of
    /// <paramref name="generation"/> and owns every partition, checked and appended under the lock.
    /// </summary>
    /// <exception cref="StorageException">The disk failed; nothing was stored.</exception>
    /// <remarks>The records are appended under the lock (so a fenced member's commit is never appended after its
    /// successor's); the caller completes <paramref name="pending"/> (<see cref="OffsetStore.CompleteAsync"/>) outside
    /// it, once they are replicated.</remarks>
    public RemoteResult CommitRemote(GroupMember member, int generation, IReadOnlyList<(TopicPartition Partition, long? Offset)> offsets,
        out OffsetStore.PendingCommit? pending)
    {
        pending = null;
        lock (_lock)
        {
            RemoteResult result = CheckMemberLocked(member, generation);
            if (result != RemoteResult.Ok)
                return result;
            foreach ((TopicPartition tp, _) in offsets)
            {
                if (!_owners.TryGetValue(tp, out GroupMember? owner) || owner != member)
                    return RemoteResult.NotOwned;
            }
            pending = _coordinator.Offsets.Append(GroupId, offsets);
            return RemoteResult.Ok;
        }
    }

    /// <summary>
    /// A commit from outside the group (generation -1, no member id: a consumer with manual assignment or an admin
    /// tool): stored only while the group has no members, as Kafka does; else <see cref="RemoteResult.UnknownMember"/>.
    /// </summary>
    /// <exception cref="StorageException">The disk failed; nothing was stored.</exception>
    public RemoteResult CommitStandalone(IReadOnlyList<(TopicPartition Partition, long? Offset)> offsets, out OffsetStore.PendingCommit? pending)
    {
        pending = null;
        lock (_lock)
        {
            if (_members.Count > 0)
                return RemoteResult.UnknownMember;
            pending = _coordinator.Offsets.Append(GroupId, offsets);
            return RemoteResult.Ok;
        }
    }

    private RemoteResult CheckMemberLocked(GroupMember member, int generation)
    {
        if (!member.IsActive || member.Remote is not { } remote)
            return RemoteResult.UnknownMember;
        if (generation != remote.JoinedGeneration)
            return RemoteResult.IllegalGeneration;
        member.LastSeenTimestamp = _coordinator.Broker.Options.TimeProvider.GetTimestamp();
        return RemoteResult.Ok;
    }

    private void MarkJoinedLocked(GroupMember member)
    {
        RemoteMemberState remote = member.Remote!;
        remote.JoinedGeneration = _generation;
        remote.Synced = false;
        remote.RejoinRequestedAt = 0;
    }

    private GroupMember? FindRemoteLocked(string memberId, string? groupInstanceId)
    {
        foreach (GroupMember member in _members)
        {
            if (member.Remote is not { } remote || !member.IsActive)
                continue;
            if (memberId.Length > 0 ? member.MemberId == memberId : groupInstanceId is not null && remote.GroupInstanceId == groupInstanceId)
                return member;
        }
        return null;
    }

    /// <summary>How often a network member's liveness is checked: eviction comes at most this late.</summary>
    private static TimeSpan LivenessCheckInterval(TimeSpan sessionTimeout) =>
        TimeSpan.FromTicks(Math.Clamp(sessionTimeout.Ticks / 10, TimeSpan.TicksPerMillisecond * 100, TimeSpan.TicksPerSecond));

    private static IPartitionAssignor? AssignorNamed(string name) => name switch
    {
        "range" => RangeAssignor.Instance,
        "roundrobin" => RoundRobinAssignor.Instance,
        "cooperative-sticky" => CooperativeStickyAssignor.Instance,
        _ => null,
    };
}
