using LogStore.Clients.Groups;
using LogStore.Protocol;

namespace LogStore.Network.Apis.Groups;

/// <summary>
/// Kafka's consumer-group APIs over the network (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
/// OffsetCommit, OffsetFetch, DescribeGroups, ListGroups), served by the broker's own <see cref="GroupCoordinator"/>:
/// clients over the network and in-process consumers join the same groups and commit to the same
/// <c>__consumer_offsets</c>. Thread-safe; one instance per listener.
/// </summary>
/// <remarks>
/// <para><b>The bridge.</b> Kafka's classic protocol assigns on the client: the member JoinGroup names leader gets
/// every subscription and sends the assignments in its SyncGroup. Here the group assigns broker-side, as it does for
/// in-process consumers, with the assignor of the protocol the client offered (range, roundrobin, cooperative-sticky).
/// JoinGroup names as leader <see cref="LeaderId"/>, a member id no client has, so every client acts as a follower:
/// it sends SyncGroup without assignments and receives its own, encoded as a ConsumerProtocolAssignment. That keeps
/// one assignor, one ownership table and one fencing rule for both kinds of members, which client-side assignment
/// could not give an in-process consumer (it never sends JoinGroup, so no client leader could see it).</para>
/// <para><b>Errors.</b> Every failure is answered with Kafka's error code; nothing is thrown out of a handler (an
/// exception closes the client's connection). Unexpected failures are logged and answered UNKNOWN_SERVER_ERROR.</para>
/// </remarks>
internal sealed partial class GroupApis
{
    /// <summary>The leader every JoinGroup names: none of the clients, so all of them follow.</summary>
    public const string LeaderId = "logstore-broker-assignor";

    /// <summary>The only protocol type served: Kafka consumers.</summary>
    public const string ConsumerProtocolType = "consumer";

    /// <summary>Kafka's group.min.session.timeout.ms default: a shorter session is refused with INVALID_SESSION_TIMEOUT.</summary>
    public static readonly TimeSpan MinSessionTimeout = TimeSpan.FromSeconds(6);

    /// <summary>Kafka's group.max.session.timeout.ms default.</summary>
    public static readonly TimeSpan MaxSessionTimeout = TimeSpan.FromMinutes(30);

    /// <summary>Kafka's offset.metadata.max.bytes default: longer commit metadata is refused with OFFSET_METADATA_TOO_LARGE.</summary>
    public const int MaxOffsetMetadataLength = 4096;

    private readonly Broker _broker;

    public GroupApis(Broker broker) => _broker = broker;

    private GroupCoordinator Coordinator => GroupCoordinator.For(_broker);

    /// <summary>On a single node this node coordinates every group (and every transactional id: the transactional APIs
    /// themselves refuse). In a cluster a group's coordinator is the leader of its <c>__consumer_offsets</c> partition
    /// (see <see cref="FindGroupCoordinatorAsync"/>). Key types other than group (0) and transaction (1) are refused
    /// with INVALID_REQUEST.</summary>
    public async ValueTask<FindCoordinatorResponse> FindCoordinatorAsync(FindCoordinatorRequest request, short version, BrokerNode self, CancellationToken ct)
    {
        var response = new FindCoordinatorResponse { NodeId = self.NodeId, Host = self.Host, Port = self.Port };
        if (request.KeyType is not (FindCoordinatorRequest.GroupKeyType or FindCoordinatorRequest.TransactionKeyType))
        {
            NoCoordinator(response, ErrorCode.InvalidRequest, $"Unknown coordinator key type {request.KeyType}: 0 (group) and 1 (transaction) are served.");
        }
        else if (request.KeyType == FindCoordinatorRequest.GroupKeyType && _broker.ClusterServices is { } cluster)
        {
            await FindGroupCoordinatorAsync(request.Key, cluster, self, response, ct).ConfigureAwait(false);
        }
        return response;
    }

    /// <summary>
    /// The leader of the group's offsets partition, with the host and port it registered (this connection's own for
    /// this node). The topic is created through the controller on the first look, as Kafka's FindCoordinator does;
    /// COORDINATOR_NOT_AVAILABLE while it cannot be (too few live nodes) or the partition has no leader.
    /// </summary>
    private async ValueTask FindGroupCoordinatorAsync(string groupId, Cluster.Node.ClusterNodeServices cluster, BrokerNode self,
        FindCoordinatorResponse response, CancellationToken ct)
    {
        Topic topic;
        try
        {
            topic = await _broker.GetOrCreateInternalTopicAsync(OffsetStore.TopicName, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is LogStoreException or OperationCanceledException or ObjectDisposedException)
        {
            NoCoordinator(response, ErrorCode.CoordinatorNotAvailable, $"The topic {OffsetStore.TopicName} cannot be created now: {e.Message}");
            return;
        }
        Partition partition = topic.Partitions[OffsetCommitCodec.PartitionFor(groupId, topic.Partitions.Count)];
        if (partition.Registration is not { Leader: >= 0 and int leader })
        {
            NoCoordinator(response, ErrorCode.CoordinatorNotAvailable, $"{partition.Id} has no leader now.");
            return;
        }
        if (leader == self.NodeId)
            return;
        if (!cluster.Publisher.Applied.Nodes.TryGetValue(leader, out Cluster.Metadata.NodeRegistration? node) || node.Fenced)
        {
            NoCoordinator(response, ErrorCode.CoordinatorNotAvailable, $"Node {leader}, the leader of {partition.Id}, is not registered now.");
            return;
        }
        response.NodeId = node.NodeId;
        response.Host = node.Host;
        response.Port = node.Port;
    }

    private static void NoCoordinator(FindCoordinatorResponse response, ErrorCode error, string message)
    {
        response.ErrorCode = error;
        response.ErrorMessage = message;
        response.NodeId = -1;
        response.Host = "";
        response.Port = -1;
    }

    /// <summary>NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS or COORDINATOR_NOT_AVAILABLE for a group this node does
    /// not serve now (Kafka's validateGroupStatus), else NONE; always NONE on a single node.</summary>
    private ErrorCode CheckCoordinator(string groupId) => Coordinator.StatusOf(groupId, out _) switch
    {
        CoordinatorStatus.Coordinator => ErrorCode.None,
        CoordinatorStatus.NotCoordinator => ErrorCode.NotCoordinator,
        CoordinatorStatus.LoadInProgress => ErrorCode.CoordinatorLoadInProgress,
        _ => ErrorCode.CoordinatorNotAvailable,
    };

    /// <summary>The error code for an exception out of the group layer; an unexpected one is logged.</summary>
    private ErrorCode Failed(Exception exception, string api, string groupId)
    {
        ErrorCode code = exception switch
        {
            // The broker is closing: clients look for the coordinator again, as after a coordinator move.
            ObjectDisposedException => ErrorCode.CoordinatorNotAvailable,
            _ => ErrorCodes.FromException(exception),
        };
        if (code == ErrorCode.UnknownServerError)
            GroupLog.RequestFailed(_broker.Logger, api, groupId, exception);
        return code;
    }

    private static ErrorCode ToErrorCode(RemoteResult result) => result switch
    {
        RemoteResult.Ok => ErrorCode.None,
        RemoteResult.UnknownMember => ErrorCode.UnknownMemberId,
        RemoteResult.IllegalGeneration or RemoteResult.NotOwned => ErrorCode.IllegalGeneration,
        RemoteResult.RebalanceInProgress or RemoteResult.Waiting => ErrorCode.RebalanceInProgress,
        _ => ErrorCode.UnknownServerError,
    };

    /// <summary>The network member <paramref name="memberId"/> of <paramref name="groupId"/>, when both exist.</summary>
    private GroupMember? FindMember(string groupId, string memberId, out ConsumerGroup? group)
    {
        group = Coordinator.TryGetGroup(groupId);
        return memberId.Length == 0 ? null : group?.FindRemote(memberId);
    }
}
