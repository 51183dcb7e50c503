using System.Runtime.ExceptionServices;
using LogStore.Clients.Groups;

namespace LogStore.Clients;

internal sealed partial class Consumer<TKey, TValue>
{
    private IGroupMembership? _member;
    private string[] _subscription = [];

    /// <summary>
    /// Joins the group for <paramref name="topics"/> (or changes the subscription); the group rebalances at once and
    /// this consumer receives its partitions inside its next ConsumeAsync. An empty list unsubscribes.
    /// </summary>
    /// <exception cref="InvalidOperationException">No GroupId, or partitions assigned by hand.</exception>
    /// <exception cref="InconsistentGroupProtocolException">The group's members use another assignment strategy.</exception>
    /// <exception cref="UnknownTopicException">A topic does not exist.</exception>
    /// <exception cref="NotCoordinatorException">In a cluster, the group's coordinator on another node did not answer in time.</exception>
    /// <exception cref="NetworkException">In a cluster, the group's coordinator on another node could not be reached.</exception>
    public void Subscribe(IEnumerable<string> topics)
    {
        ArgumentNullException.ThrowIfNull(topics);
        ThrowIfDisposed();
        string group = _options.GroupId ?? throw new InvalidOperationException(
            "Subscribe needs ConsumerOptions.GroupId: the group shares the topics' partitions. Use Assign to consume without a group.");
        if (_mode == AssignmentMode.Manual)
        {
            throw new InvalidOperationException(
                "This consumer has partitions assigned by hand; Assign and Subscribe cannot be combined. Call Unsubscribe first.");
        }
        var set = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string topic in topics)
        {
            TopicName.Validate(topic);
            if (!_broker.TryGetTopic(topic, out _))
                throw new UnknownTopicException(topic);
            set.Add(topic);
        }
        if (set.Count == 0)
        {
            Unsubscribe();
            return;
        }
        string[] subscription = [.. set];
        if (_member is { } member)
        {
            if (!subscription.AsSpan().SequenceEqual(_subscription))
            {
                _subscription = subscription;
                member.UpdateSubscription(subscription);
            }
        }
        else
        {
            _subscription = subscription;
            // Here when this node coordinates the group, else at its coordinator over the Kafka protocol.
            _member = GroupCoordinator.For(_broker).Join(group, subscription, _options, _signal);
        }
        _mode = AssignmentMode.Subscribed;
    }

    /// <summary>Leaves the group (auto-committing and raising PartitionsRevoked first), or drops the manual assignment
    /// (auto-committing its positions first).</summary>
    public void Unsubscribe()
    {
        ThrowIfDisposed();
        if (_mode == AssignmentMode.Subscribed)
            LeaveGroup();
        else if (_mode == AssignmentMode.Manual)
            AutoCommit(null);
        _fetcher.Clear();
        _mode = AssignmentMode.None;
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The consumer has no GroupId.</exception>
    /// <exception cref="CommitFailedException">A group member no longer owns one of the partitions (fenced); nothing was stored.</exception>
    public void Commit()
    {
        ThrowIfDisposed();
        RequireGroup();
        var offsets = new List<(TopicPartition, long?)>();
        foreach (Fetcher.PartitionState state in _fetcher.Partitions)
        {
            long offset = CommittableOffset(state);
            if (offset != Fetcher.UnknownPosition)
                offsets.Add((state.Id, offset));
        }
        CommitOffsets(offsets);
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The consumer has no GroupId.</exception>
    /// <exception cref="CommitFailedException">A group member does not own one of the partitions (fenced); nothing was stored.</exception>
    public void Commit(IEnumerable<TopicPartitionOffset> offsets)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        ThrowIfDisposed();
        RequireGroup();
        var list = new List<(TopicPartition, long?)>();
        foreach (TopicPartitionOffset tpo in offsets)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(tpo.Offset, nameof(offsets));
            GetPartition(tpo.TopicPartition);
            list.Add((tpo.TopicPartition, tpo.Offset));
        }
        CommitOffsets(list);
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The consumer has no GroupId.</exception>
    public long? Committed(TopicPartition partition)
    {
        ThrowIfDisposed();
        return GroupCoordinator.For(_broker).GetCommitted(RequireGroup(), partition);
    }

    private string RequireGroup() => _options.GroupId ?? throw new InvalidOperationException(
        "Committed offsets belong to a consumer group: set ConsumerOptions.GroupId to commit or read them.");

    /// <summary>Stores offsets: through the group (fenced by ownership) for a member, straight to the store for a
    /// consumer with manual assignment (Kafka's standalone consumer).</summary>
    private void CommitOffsets(List<(TopicPartition Partition, long? Offset)> offsets)
    {
        if (offsets.Count == 0)
            return;
        if (_mode == AssignmentMode.Subscribed)
        {
            IGroupMembership member = _member ?? throw new CommitFailedException(_options.GroupId!, "(none)", 0,
                "the consumer is between memberships (it was evicted and has not rejoined yet).");
            member.Commit(offsets);
        }
        else
        {
            // In a cluster, at the group's coordinator wherever it is (over the Kafka protocol from another node).
            GroupCoordinator.For(_broker).CommitStandalone(_options.GroupId!, offsets);
        }
        foreach ((TopicPartition tp, long? offset) in offsets)
        {
            if (_fetcher.TryGet(tp, out Fetcher.PartitionState? state))
                state.LastCommitted = offset ?? -1;
        }
    }

    /// <summary>
    /// With auto-commit on, commits the positions of <paramref name="partitions"/> (null: every assigned one) that
    /// moved since their last commit. A refused or failed commit is logged, not thrown (Kafka's auto-commit).
    /// </summary>
    private void AutoCommit(List<TopicPartition>? partitions)
    {
        if (_options.GroupId is null || !_options.EnableAutoCommit)
            return;
        var offsets = new List<(TopicPartition, long?)>();
        foreach (Fetcher.PartitionState state in _fetcher.Partitions)
        {
            long offset = CommittableOffset(state);
            if (offset != Fetcher.UnknownPosition && offset != state.LastCommitted
                && (partitions is null || partitions.Contains(state.Id)))
            {
                offsets.Add((state.Id, offset));
            }
        }
        try
        {
            CommitOffsets(offsets);
        }
        catch (Exception e) when (e is LogStoreException or ObjectDisposedException)
        {
            GroupLog.AutoCommitFailed(_broker.Logger, _options.GroupId, e);
        }
    }

    /// <summary>Does what the group and the auto-commit timer raised, on the caller's thread.</summary>
    private void HandleSignals()
    {
        int bits = _signal.Take(PollSignal.AutoCommitDue);
        if (bits != 0)
            AutoCommit(null);
        // A rejoin that failed (no coordinator answered in time) is tried again at each poll.
        if (_mode == AssignmentMode.Subscribed && _member is null)
            _member = GroupCoordinator.For(_broker).Join(_options.GroupId!, _subscription, _options, _signal);
        // A rejoin after an eviction raises the signal again; two rounds cover it, more waits for the next poll.
        for (int round = 0; round < 2 && _signal.Take(PollSignal.GroupChanged) != 0; round++)
        {
            if (_member is not null)
                SyncGroup(_member);
        }
    }

    /// <summary>
    /// One step of the hand-over (see <see cref="ConsumerGroup"/>): after an eviction, drop everything, raise
    /// PartitionsRevoked for what was lost and rejoin; otherwise auto-commit, raise PartitionsRevoked and release what
    /// must go, then take the free partitions of the new target and raise PartitionsAssigned. Handler exceptions are
    /// rethrown after the step is complete, so the group never waits on a half-done hand-over.
    /// </summary>
    private void SyncGroup(IGroupMembership member)
    {
        ExceptionDispatchInfo? handlerError = null;
        if (member.BeginSync(out List<TopicPartition> revoke))
        {
            List<TopicPartition> lost = [.. Assignment];
            _fetcher.Clear();
            _member = null;
            if (lost.Count > 0)
                handlerError = Raise(PartitionsRevoked, lost);
            // Through the coordinator: in a cluster the group may have moved to another node, which is then joined over
            // the Kafka protocol (NotCoordinatorException when none answers in time; the next poll tries again).
            _member = GroupCoordinator.For(_broker).Join(member.GroupId, _subscription, _options, _signal);
            handlerError?.Throw();
            return;
        }
        if (revoke.Count > 0)
        {
            AutoCommit(revoke);
            handlerError = Raise(PartitionsRevoked, revoke);
            foreach (TopicPartition tp in revoke)
                _fetcher.Remove(tp);
            member.Release(revoke);
        }
        List<TopicPartition> taken = member.TakeAssigned();
        if (taken.Count > 0)
        {
            foreach (TopicPartition tp in taken)
            {
                if (_broker.TryGetTopic(tp.Topic, out Topic? topic) && tp.Partition < topic.Partitions.Count)
                    _fetcher.Add(topic.Partitions[tp.Partition], Fetcher.UnknownPosition, PositionRule.Committed);
            }
            handlerError ??= Raise(PartitionsAssigned, taken);
        }
        handlerError?.Throw();
    }

    /// <summary>Auto-commits, raises PartitionsRevoked for everything owned, and leaves the group.</summary>
    private void LeaveGroup()
    {
        IGroupMembership? member = _member;
        if (member is null)
            return;
        ExceptionDispatchInfo? handlerError = null;
        List<TopicPartition> owned = [.. Assignment];
        if (owned.Count > 0)
        {
            // Still a member here, so these commits are fenced like any other: a member evicted without noticing
            // commits nothing.
            AutoCommit(null);
            handlerError = Raise(PartitionsRevoked, owned);
        }
        _member = null;
        _fetcher.Clear();
        member.Leave();
        handlerError?.Throw();
    }

    private ExceptionDispatchInfo? Raise(Action<IReadOnlyList<TopicPartition>>? handler, List<TopicPartition> partitions)
    {
        if (handler is null)
            return null;
        _inHandler = true;
        try
        {
            handler(partitions.AsReadOnly());
            return null;
        }
        catch (Exception e)
        {
            return ExceptionDispatchInfo.Capture(e);
        }
        finally
        {
            _inHandler = false;
        }
    }
}
