namespace LogStore.Clients.Groups;

internal sealed partial class ConsumerGroup
{
    /// <summary>
    /// The periodic liveness check of one member (its heartbeat timer's callback). A member is alive while it waits
    /// inside ConsumeAsync or when it polled since the previous check; otherwise, once <see cref="GroupMember.SessionTimeout"/>
    /// has passed since a check last saw it alive, it is evicted: its partitions are released without a commit and
    /// the others rebalance. The consumer learns it on its next ConsumeAsync (PartitionsRevoked, then a rejoin).
    /// A network member is seen alive by each of its group requests; it is also evicted when
    /// it does not rejoin within its rebalance timeout; it learns it from UNKNOWN_MEMBER_ID.
    /// </summary>
    public void CheckLiveness(GroupMember member)
    {
        TimeProvider time = _coordinator.Broker.Options.TimeProvider;
        lock (_lock)
        {
            if (!member.IsActive)
                return;
            long now = time.GetTimestamp();
            int polls = member.Signal.PollCount;
            if (polls != member.LastSeenPollCount || member.Signal.InPoll)
            {
                member.LastSeenPollCount = polls;
                member.LastSeenTimestamp = now;
                return;
            }
            bool silent = time.GetElapsedTime(member.LastSeenTimestamp, now) >= member.SessionTimeout;
            // A network member that heartbeats but never rejoins would hold its partitions forever: Kafka removes it
            // once the rebalance timeout passes, and so does this check.
            bool lateToRejoin = member.Remote is { RejoinRequestedAt: not 0 } remote
                && time.GetElapsedTime(remote.RejoinRequestedAt, now) >= remote.RebalanceTimeout;
            if (!silent && !lateToRejoin)
                return;
            member.Evicted = true;
            RemoveLocked(member);
            if (silent)
                GroupLog.MemberEvicted(_coordinator.Broker.Logger, GroupId, member.MemberId, (long)member.SessionTimeout.TotalMilliseconds);
            else
                GroupLog.MemberNotRejoined(_coordinator.Broker.Logger, GroupId, member.MemberId, (long)member.Remote!.RebalanceTimeout.TotalMilliseconds);
            RebalanceLocked();
        }
        member.Signal.Raise(PollSignal.GroupChanged);
    }

    /// <summary>
    /// True when a subscribed topic was created, deleted or given partitions since the last rebalance. In Kafka the
    /// leading client watches for this; here no client leads, so the group does (at network members' heartbeats).
    /// </summary>
    private bool PartitionCountsChangedLocked()
    {
        foreach ((string topic, int count) in _partitionCounts)
        {
            int now = _coordinator.Broker.TryGetTopic(topic, out Topic? t) ? t.Partitions.Count : 0;
            if (now != count)
                return true;
        }
        return false;
    }

    /// <summary>
    /// This node stopped coordinating the group (its offsets partition moved): every member is removed as an evicted
    /// one is, so an in-process consumer raises PartitionsRevoked and rejoins at its next poll (at the group's new
    /// coordinator, over the Kafka protocol when that is another node), and a network member's next request gets
    /// NOT_COORDINATOR. The group takes no member any more.
    /// </summary>
    public void Unload()
    {
        List<GroupMember> members;
        lock (_lock)
        {
            _unloaded = true;
            members = [.. _members];
            foreach (GroupMember member in members)
            {
                member.Evicted = true;
                RemoveLocked(member);
            }
            _generation++;
        }
        foreach (GroupMember member in members)
            member.Signal.Raise(PollSignal.GroupChanged);
    }

    /// <summary>Under the lock: refuses members once the group moved to another coordinator.</summary>
    private void ThrowIfUnloadedLocked()
    {
        if (_unloaded)
            throw new NotCoordinatorException(GroupId, null);
    }

    /// <summary>Stops every member's timer; the broker is closing.</summary>
    public void Close()
    {
        lock (_lock)
        {
            foreach (GroupMember member in _members)
                member.Dispose();
        }
    }

    internal static IPartitionAssignor AssignorFor(PartitionAssignmentStrategy strategy) => strategy switch
    {
        PartitionAssignmentStrategy.RoundRobin => RoundRobinAssignor.Instance,
        PartitionAssignmentStrategy.CooperativeSticky => CooperativeStickyAssignor.Instance,
        _ => RangeAssignor.Instance,
    };

    private void RemoveLocked(GroupMember member)
    {
        member.IsActive = false;
        member.Dispose();
        _members.Remove(member);
        foreach (TopicPartition tp in member.Owned)
            _owners.Remove(tp);
        member.Owned.Clear();
        member.Target = [];
    }

    private void ReleaseLocked(GroupMember member, TopicPartition tp)
    {
        if (_owners.TryGetValue(tp, out GroupMember? owner) && owner == member)
            _owners.Remove(tp);
        member.Owned.Remove(tp);
    }

    /// <summary>Raises the signal of every member whose target holds partitions it does not own yet.</summary>
    private void WakeWaitingMembersLocked(GroupMember? except)
    {
        foreach (GroupMember other in _members)
        {
            if (other == except)
                continue;
            foreach (TopicPartition tp in other.Target)
            {
                if (!other.Owned.Contains(tp))
                {
                    other.Signal.Raise(PollSignal.GroupChanged);
                    break;
                }
            }
        }
    }

    /// <summary>Recomputes every member's target with the assignor and raises every member's signal.</summary>
    private void RebalanceLocked()
    {
        _generation++;
        if (_members.Count == 0)
            return;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var subscriptions = new List<MemberSubscription>(_members.Count);
        foreach (GroupMember member in _members)
        {
            foreach (string topic in member.Topics)
            {
                if (!counts.ContainsKey(topic))
                    counts[topic] = _coordinator.Broker.TryGetTopic(topic, out Topic? t) ? t.Partitions.Count : 0;
            }
            // The previous target, not what is owned right now: that is where each partition is going anyway, and a
            // sticky assignor should keep it there.
            subscriptions.Add(new MemberSubscription(member.MemberId, member.Topics, member.Target));
        }
        _partitionCounts = counts;
        Dictionary<string, List<TopicPartition>> assignment = _assignor!.Assign(subscriptions, counts);
        long now = _coordinator.Broker.Options.TimeProvider.GetTimestamp();
        foreach (GroupMember member in _members)
        {
            member.Target = assignment[member.MemberId];
            // A network member learns of the change at its next Heartbeat and must rejoin within its rebalance timeout.
            if (member.Remote is { RejoinRequestedAt: 0 } remote)
                remote.RejoinRequestedAt = now;
        }
        GroupLog.Rebalanced(_coordinator.Broker.Logger, GroupId, _generation, _members.Count, _assignor.Name);
        foreach (GroupMember member in _members)
            member.Signal.Raise(PollSignal.GroupChanged);
    }
}
