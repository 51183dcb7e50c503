using LogStore.Network.Apis.Groups;
using LogStore.Protocol;

namespace LogStore.Clients.Groups;

/// <summary>
/// An in-process consumer's membership of a group that another node of the cluster coordinates (the client side of
/// Kafka's classic protocol, Kafka's ConsumerCoordinator): JoinGroup and SyncGroup at the coordinator through the
/// <see cref="CoordinatorChannel"/>, a heartbeat loop on the thread pool, OffsetCommit with its generation and member
/// id, LeaveGroup at the end.
/// </summary>
/// <remarks>
/// <para><b>Threads.</b> The consumer's thread calls the <see cref="IGroupMembership"/> methods, which send their
/// requests and wait for the answers (each bounded by the channel's timeout). The heartbeat loop never calls into the
/// consumer: it raises <see cref="PollSignal.GroupChanged"/> when the coordinator asks for a rejoin or the membership
/// is lost, and the consumer acts on it in its next ConsumeAsync. What both touch is under a lock.</para>
/// <para><b>Rebalance.</b> The coordinator assigns (see <see cref="ConsumerGroup"/>'s remarks on network members); a
/// heartbeat answered REBALANCE_IN_PROGRESS or a new subscription makes the member rejoin. Eager: it revokes all it
/// holds, rejoins, syncs and takes what SyncGroup returns. Cooperative: it rejoins listing what it holds, revokes what
/// the new assignment lacks, rejoins once more without those (which releases them at the coordinator) and takes what
/// the assignment adds.</para>
/// <para><b>Loss.</b> UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION or FENCED_INSTANCE_ID, no coordinator found or reached
/// within the channel's timeout, or a consumer that stopped polling for its session timeout end the membership as an
/// eviction ends a local one: the consumer drops everything, raises PartitionsRevoked and joins again, wherever the
/// coordinator is then.</para>
/// </remarks>
internal sealed partial class RemoteGroupMember : IGroupMembership
{
    private readonly CoordinatorChannel _channel;
    private readonly ConsumerOptions _options;
    private readonly PollSignal _signal;
    private readonly IPartitionAssignor _assignor;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();

    // Under _lock: the heartbeat loop reads them.
    private string _memberId = "";
    private int _generation = -1;
    private bool _rejoinRequested;
    private bool _lost;
    private bool _joining;
    private int _joinsStarted;

    // The consumer's thread only.
    private string[] _topics;
    private bool _joinNow;
    private bool _syncNow;
    private List<TopicPartition> _assigned = [];
    private readonly HashSet<TopicPartition> _owned = [];

    private RemoteGroupMember(CoordinatorChannel channel, string groupId, string[] topics, ConsumerOptions options, PollSignal signal)
    {
        _channel = channel;
        GroupId = groupId;
        _topics = topics;
        _options = options;
        _signal = signal;
        _assignor = ConsumerGroup.AssignorFor(options.PartitionAssignmentStrategy);
        // The coordinator refuses sessions outside its bounds; the consumer's own poll check below keeps the option's meaning.
        SessionTimeout = TimeSpan.FromTicks(Math.Clamp(options.SessionTimeout.Ticks, GroupApis.MinSessionTimeout.Ticks, GroupApis.MaxSessionTimeout.Ticks));
    }

    /// <inheritdoc/>
    public string GroupId { get; }

    /// <inheritdoc/>
    public string MemberId
    {
        get
        {
            lock (_lock)
                return _memberId;
        }
    }

    /// <summary>The generation of the last JoinGroup, -1 before the first.</summary>
    public int Generation
    {
        get
        {
            lock (_lock)
                return _generation;
        }
    }

    /// <summary>The session timeout sent to the coordinator: the consumer's, within the bounds it accepts.</summary>
    private TimeSpan SessionTimeout { get; }

    private Broker Broker => _channel.Broker;

    /// <summary>
    /// Joins <paramref name="groupId"/> at its coordinator (JoinGroup; SyncGroup follows in the consumer's next poll)
    /// and starts heartbeating.
    /// </summary>
    /// <exception cref="InconsistentGroupProtocolException">The group's members use another assignment strategy.</exception>
    /// <exception cref="NotCoordinatorException">No coordinator answered in time.</exception>
    /// <exception cref="NetworkException">The coordinator could not be reached.</exception>
    /// <exception cref="LogStoreException">The coordinator refused the join for another reason.</exception>
    public static RemoteGroupMember Join(CoordinatorChannel channel, string groupId, string[] topics, ConsumerOptions options, PollSignal signal)
    {
        var member = new RemoteGroupMember(channel, groupId, topics, options, signal);
        // A member id handed out by MEMBER_ID_REQUIRED may expire before it is used: a second try starts afresh.
        if (!member.SendJoin() && !member.SendJoin())
            throw new LogStoreException($"The coordinator of group '{groupId}' did not accept member {member.MemberId}; try again.");
        member._syncNow = true;
        member.StartHeartbeat();
        signal.Raise(PollSignal.GroupChanged);
        return member;
    }

    /// <inheritdoc/>
    public void UpdateSubscription(string[] topics)
    {
        _topics = topics;
        RequestRejoin();
    }

    /// <inheritdoc/>
    public bool BeginSync(out List<TopicPartition> revoke)
    {
        revoke = [];
        lock (_lock)
        {
            if (_lost)
                return true;
            _joinNow |= _rejoinRequested;
            _syncNow |= _rejoinRequested;
            _rejoinRequested = false;
        }
        if (_assignor.Protocol == RebalanceProtocol.Eager)
        {
            // Everything goes back before the rejoin, committed with the generation that owned it.
            if (_joinNow)
                revoke.AddRange(_owned);
        }
        else if (_syncNow)
        {
            if (!JoinAndSync())
                return true;
            var assigned = new HashSet<TopicPartition>(_assigned);
            foreach (TopicPartition tp in _owned)
            {
                if (!assigned.Contains(tp))
                    revoke.Add(tp);
            }
        }
        revoke.Sort(AssignorSupport.PartitionOrder);
        return false;
    }

    /// <inheritdoc/>
    public void Release(IReadOnlyList<TopicPartition> partitions)
    {
        foreach (TopicPartition tp in partitions)
            _owned.Remove(tp);
        // The coordinator learns it from a rejoin that no longer lists them (an eager member rejoins anyway).
        if (partitions.Count > 0)
            _joinNow = _syncNow = true;
    }

    /// <inheritdoc/>
    public List<TopicPartition> TakeAssigned()
    {
        var taken = new List<TopicPartition>();
        if (_syncNow && !JoinAndSync())
            return taken;
        foreach (TopicPartition tp in _assigned)
        {
            if (_owned.Add(tp))
                taken.Add(tp);
        }
        return taken;
    }

    /// <inheritdoc/>
    /// <exception cref="NotCoordinatorException">No coordinator answered in time; nothing was stored.</exception>
    /// <exception cref="NetworkException">The coordinator could not be reached; nothing was stored.</exception>
    public void Commit(IReadOnlyList<(TopicPartition Partition, long? Offset)> offsets)
    {
        string memberId;
        int generation;
        lock (_lock)
        {
            memberId = _memberId;
            generation = _generation;
            if (_lost)
            {
                throw new CommitFailedException(GroupId, memberId, generation,
                    "it lost its membership (evicted, or its coordinator could not be reached) and has not rejoined yet.");
            }
        }
        OffsetCommitRequest request = RemoteOffsetClient.CommitRequest(GroupId, generation, memberId, offsets);
        OffsetCommitResponse response = _channel.Send<OffsetCommitRequest, OffsetCommitResponse>(GroupId, request,
            RemoteOffsetClient.OffsetCommitVersion, RemoteOffsetClient.FirstError, OffsetStore.CommitTimeout);
        ErrorCode error = RemoteOffsetClient.FirstError(response);
        switch (error)
        {
            case ErrorCode.None:
                return;
            case ErrorCode.UnknownMemberId or ErrorCode.FencedInstanceId:
                Lose($"an OffsetCommit was answered {error}");
                throw new CommitFailedException(GroupId, memberId, generation, "the coordinator no longer knows it (it was evicted).");
            case ErrorCode.RebalanceInProgress:
                RequestRejoin();
                throw new CommitFailedException(GroupId, memberId, generation, "the group is rebalancing; commit again after the next poll.");
            case ErrorCode.IllegalGeneration:
                throw new CommitFailedException(GroupId, memberId, generation,
                    "a rebalance gave one of the partitions to another member, or the member is in an older generation.");
            default:
                throw new CommitFailedException(GroupId, memberId, generation, $"the coordinator answered {error}.");
        }
    }

    /// <inheritdoc/>
    public void Leave()
    {
        string memberId;
        bool lost;
        lock (_lock)
        {
            memberId = _memberId;
            lost = _lost;
            _lost = true;
        }
        _stop.Cancel();
        _owned.Clear();
        _assigned = [];
        if (lost || memberId.Length == 0)
            return;
        try
        {
            SendLeave(memberId);
        }
        catch (Exception e) when (e is LogStoreException or OperationCanceledException or ObjectDisposedException)
        {
            GroupLog.LeaveFailed(Broker.Logger, GroupId, memberId, e);
        }
    }

    /// <summary>The coordinator asked for a rejoin (or the subscription changed): the consumer rejoins at its next poll.</summary>
    private void RequestRejoin()
    {
        lock (_lock)
            _rejoinRequested = true;
        _signal.Raise(PollSignal.GroupChanged);
    }

    /// <summary>Ends the membership (see the remarks' Loss); the consumer learns it at its next poll. Returns false.</summary>
    private bool Lose(string reason)
    {
        string memberId;
        lock (_lock)
        {
            if (_lost)
                return false;
            _lost = true;
            memberId = _memberId;
        }
        _stop.Cancel();
        GroupLog.RemoteMemberLost(Broker.Logger, GroupId, memberId, reason);
        _signal.Raise(PollSignal.GroupChanged);
        return false;
    }

    /// <inheritdoc/>
    public override string ToString() => MemberId;
}
