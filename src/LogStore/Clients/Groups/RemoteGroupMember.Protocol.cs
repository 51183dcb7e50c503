using LogStore.Network.Apis.Groups;
using LogStore.Protocol;

namespace LogStore.Clients.Groups;

/// <summary>The member's JoinGroup, SyncGroup and LeaveGroup, sent from the consumer's thread.</summary>
internal sealed partial class RemoteGroupMember
{
    private const short JoinGroupVersion = 5, SyncGroupVersion = 5, LeaveGroupVersion = 4;

    /// <summary>Rejoins and syncs as the consumer's step asks; false (and the membership lost) when the coordinator no
    /// longer knows the member or cannot be reached.</summary>
    private bool JoinAndSync()
    {
        try
        {
            if (_joinNow && !SendJoin())
                return Lose("its JoinGroup was answered UNKNOWN_MEMBER_ID");
            _joinNow = false;
            _syncNow = false;
            return SendSync();
        }
        catch (LogStoreException e)
        {
            return Lose(e.Message);
        }
    }

    /// <summary>
    /// JoinGroup with the member's subscription (a first join learns its member id from MEMBER_ID_REQUIRED, KIP-394);
    /// false when the coordinator does not know the member id (it was evicted, or the id expired).
    /// </summary>
    /// <exception cref="InconsistentGroupProtocolException">The group's members use another assignment strategy.</exception>
    /// <exception cref="NotCoordinatorException">No coordinator answered in time.</exception>
    /// <exception cref="NetworkException">The coordinator could not be reached.</exception>
    /// <exception cref="LogStoreException">The coordinator refused the join for another reason.</exception>
    private bool SendJoin()
    {
        lock (_lock)
        {
            _joining = true;
            _joinsStarted++;
        }
        try
        {
            for (int attempt = 0; ; attempt++)
            {
                var request = new JoinGroupRequest
                {
                    GroupId = GroupId,
                    SessionTimeoutMs = (int)SessionTimeout.TotalMilliseconds,
                    // The consumer acts on a rebalance at its next poll, which the session timeout bounds as for a local member.
                    RebalanceTimeoutMs = (int)SessionTimeout.TotalMilliseconds,
                    MemberId = MemberId,
                    ProtocolType = GroupApis.ConsumerProtocolType,
                    Protocols = [new JoinGroupRequest.Protocol { Name = _assignor.Name, Metadata = Subscription() }],
                };
                JoinGroupResponse response = _channel.Send<JoinGroupRequest, JoinGroupResponse>(GroupId, request, JoinGroupVersion,
                    static r => r.ErrorCode, OffsetStore.CommitTimeout);
                switch (response.ErrorCode)
                {
                    case ErrorCode.None:
                        lock (_lock)
                        {
                            _memberId = response.MemberId;
                            _generation = response.GenerationId;
                        }
                        GroupLog.RemoteMemberJoined(Broker.Logger, GroupId, response.MemberId, response.GenerationId);
                        return true;
                    case ErrorCode.MemberIdRequired when attempt == 0 && response.MemberId.Length > 0:
                        lock (_lock)
                            _memberId = response.MemberId;
                        continue;
                    case ErrorCode.UnknownMemberId or ErrorCode.IllegalGeneration or ErrorCode.FencedInstanceId:
                        lock (_lock)
                            _memberId = "";
                        return false;
                    case ErrorCode.InconsistentGroupProtocol:
                        throw new InconsistentGroupProtocolException(GroupId, "(another strategy)", _assignor.Name);
                    default:
                        throw new LogStoreException(
                            $"The coordinator of group '{GroupId}' refused the JoinGroup of this consumer with {response.ErrorCode}.");
                }
            }
        }
        finally
        {
            lock (_lock)
                _joining = false;
        }
    }

    /// <summary>The member's subscription in Kafka's ConsumerProtocolSubscription v1: topics and owned partitions
    /// (empty for an eager member, which revoked everything before rejoining).</summary>
    private byte[] Subscription()
    {
        var owned = new List<TopicPartition>(_owned);
        owned.Sort(AssignorSupport.PartitionOrder);
        return new ConsumerProtocolSubscription { Version = 1, Topics = [.. _topics], OwnedPartitions = owned }.Write();
    }

    /// <summary>
    /// SyncGroup: the coordinator assigns and returns this member's partitions (an eager member waits there while
    /// others still hold them). A REBALANCE_IN_PROGRESS or an assignment that does not parse asks for a rejoin; false
    /// (and the membership lost) when the coordinator no longer knows the member in this generation.
    /// </summary>
    private bool SendSync()
    {
        string memberId;
        int generation;
        lock (_lock)
        {
            memberId = _memberId;
            generation = _generation;
        }
        var request = new SyncGroupRequest
        {
            GroupId = GroupId,
            GenerationId = generation,
            MemberId = memberId,
            ProtocolType = GroupApis.ConsumerProtocolType,
            ProtocolName = _assignor.Name,
        };
        // The coordinator holds an eager member's SyncGroup while others release its partitions: at most half the
        // session timeout and GroupApis.MaxSyncWait.
        TimeSpan wait = TimeSpan.FromTicks(Math.Min(SessionTimeout.Ticks / 2, GroupApis.MaxSyncWait.Ticks)) + OffsetStore.CommitTimeout;
        SyncGroupResponse response = _channel.Send<SyncGroupRequest, SyncGroupResponse>(GroupId, request, SyncGroupVersion,
            static r => r.ErrorCode, wait);
        switch (response.ErrorCode)
        {
            case ErrorCode.None when TryReadAssignment(response.Assignment, memberId, out List<TopicPartition>? assigned):
                _assigned = assigned;
                return true;
            case ErrorCode.None or ErrorCode.RebalanceInProgress:
                // Keep what is held until the rejoin settles it; take nothing new.
                _assigned = [.. _owned];
                _assigned.Sort(AssignorSupport.PartitionOrder);
                RequestRejoin();
                return true;
            default:
                return Lose($"its SyncGroup was answered {response.ErrorCode}");
        }
    }

    /// <summary>
    /// Decodes the assignment SyncGroup returned and keeps the partitions the member can consume (subscribed topics,
    /// partitions this node holds), each once, sorted. False (logged) when the bytes are not an assignment.
    /// </summary>
    private bool TryReadAssignment(byte[] bytes, string memberId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out List<TopicPartition>? assigned)
    {
        if (!TryReadAssignment(bytes, _topics, HoldsPartition, out assigned, out List<TopicPartition> skipped, out Exception? error))
        {
            GroupLog.MalformedAssignment(Broker.Logger, GroupId, memberId, error);
            return false;
        }
        foreach (TopicPartition tp in skipped)
            GroupLog.AssignedPartitionSkipped(Broker.Logger, GroupId, memberId, tp);
        return true;
    }

    private bool HoldsPartition(TopicPartition tp) =>
        Broker.TryGetTopic(tp.Topic, out Topic? topic) && (uint)tp.Partition < (uint)topic.Partitions.Count;

    /// <summary>
    /// The partitions of a ConsumerProtocolAssignment that a member subscribed to <paramref name="topics"/> can consume
    /// (<paramref name="holds"/>), each once, sorted, and those it cannot (<paramref name="skipped"/>); false with the
    /// <paramref name="error"/> when the bytes are not an assignment. No bytes at all is an empty assignment, as
    /// Kafka's leaders send it.
    /// </summary>
    internal static bool TryReadAssignment(byte[] bytes, string[] topics, Func<TopicPartition, bool> holds,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out List<TopicPartition>? assigned, out List<TopicPartition> skipped,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out Exception? error)
    {
        assigned = null;
        skipped = [];
        error = null;
        List<TopicPartition> partitions;
        try
        {
            partitions = bytes.Length == 0 ? [] : ConsumerProtocolAssignment.Read(bytes).AssignedPartitions;
        }
        catch (Exception e) when (e is KafkaProtocolException or ArgumentException)
        {
            error = e;
            return false;
        }
        var seen = new HashSet<TopicPartition>();
        assigned = [];
        foreach (TopicPartition tp in partitions)
        {
            if (Array.IndexOf(topics, tp.Topic) < 0 || !holds(tp))
                skipped.Add(tp);
            else if (seen.Add(tp))
                assigned.Add(tp);
        }
        assigned.Sort(AssignorSupport.PartitionOrder);
        return true;
    }

    /// <summary>LeaveGroup: the coordinator releases what the member still owns and rebalances the others.</summary>
    private void SendLeave(string memberId)
    {
        var request = new LeaveGroupRequest { GroupId = GroupId, Members = [new LeaveGroupRequest.MemberIdentity { MemberId = memberId }] };
        _channel.Send<LeaveGroupRequest, LeaveGroupResponse>(GroupId, request, LeaveGroupVersion, static r => r.ErrorCode, OffsetStore.CommitTimeout);
    }
}
