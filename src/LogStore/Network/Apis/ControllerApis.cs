using LogStore.Cluster.Controller;
using LogStore.Cluster.Metadata;
using LogStore.Protocol;

namespace LogStore.Network.Apis;

/// <summary>
/// The controller APIs a node sends to the active controller (Kafka's ControllerApis): BrokerRegistration,
/// BrokerHeartbeat and AlterPartition, each run as a command of this node's <see cref="QuorumController"/> (the
/// broker's <see cref="Broker.Controller"/>). A node without a controller, or whose controller is not the Raft leader,
/// answers NOT_CONTROLLER so that the sender looks for the active one. Refusals become Kafka's error codes, chosen as
/// Kafka's ReplicationControlManager chooses them. Thread-safe: the controller runs one command at a time.
/// </summary>
internal sealed class ControllerApis(Broker broker)
{
    public async ValueTask<BrokerRegistrationResponse> RegisterAsync(BrokerRegistrationRequest request, CancellationToken cancellationToken)
    {
        var response = new BrokerRegistrationResponse();
        if (ActiveController() is not { } controller)
        {
            response.ErrorCode = ErrorCode.NotController;
            return response;
        }
        if (request.Listeners.Count == 0 || request.NodeEpoch < 0 || !IsMember(request.BrokerId))
        {
            // A node must say where it listens and which epoch it claims (LogStore's nodes choose their epochs), and
            // be one of the configured nodes: the membership is static, so an unknown id is a stranger (found by the
            // peer fuzzer: it registered, unfenced, and would have been given replicas).
            response.ErrorCode = ErrorCode.InvalidRequest;
            return response;
        }
        BrokerRegistrationRequest.Listener listener = request.Listeners[0];
        try
        {
            NodeRegistration registered = await controller.RegisterNodeAsync(request.BrokerId, request.NodeEpoch, listener.Host, listener.Port,
                cleanShutdown: request.PreviousBrokerEpoch >= 0, cancellationToken).ConfigureAwait(false);
            response.BrokerEpoch = registered.NodeEpoch;
        }
        catch (Exception e) when (IsRefusal(e))
        {
            response.ErrorCode = RefusalCode(e);
        }
        return response;
    }

    public async ValueTask<BrokerHeartbeatResponse> HeartbeatAsync(BrokerHeartbeatRequest request, CancellationToken cancellationToken)
    {
        var response = new BrokerHeartbeatResponse();
        if (ActiveController() is not { } controller)
        {
            response.ErrorCode = ErrorCode.NotController;
            return response;
        }
        try
        {
            // A node that wants to stop is fenced (its leaderships move) and told it may stop once it is (KIP-631).
            if (request.WantShutDown)
                response.ShouldShutDown = await controller.ControlledShutdownAsync(request.BrokerId, request.BrokerEpoch, cancellationToken).ConfigureAwait(false);
            else
                await controller.HeartbeatAsync(request.BrokerId, request.BrokerEpoch, cancellationToken).ConfigureAwait(false);
            ClusterImage image = controller.Image;
            response.IsFenced = !image.IsUnfenced(request.BrokerId);
            // The node has applied the controller log up to its registration at least; LogStore's nodes apply the
            // log as Raft voters, so there is no separate catch-up to wait for.
            response.IsCaughtUp = true;
        }
        catch (Exception e) when (IsRefusal(e))
        {
            response.ErrorCode = RefusalCode(e);
        }
        return response;
    }

    public async ValueTask<AlterPartitionResponse> AlterPartitionAsync(AlterPartitionRequest request, short version, CancellationToken cancellationToken)
    {
        var response = new AlterPartitionResponse();
        if (ActiveController() is not { } controller)
        {
            response.ErrorCode = ErrorCode.NotController;
            return response;
        }
        if (request.BrokerEpoch != -1 && (!controller.Image.Nodes.TryGetValue(request.BrokerId, out NodeRegistration? node) || node.NodeEpoch != request.BrokerEpoch))
        {
            response.ErrorCode = ErrorCode.StaleBrokerEpoch;
            return response;
        }
        foreach (AlterPartitionRequest.TopicData topic in request.Topics)
        {
            var topicResult = new AlterPartitionResponse.TopicData { TopicName = topic.TopicName, TopicId = topic.TopicId };
            response.Topics.Add(topicResult);
            string? name = version <= 1 ? topic.TopicName : NameOf(controller.Image, topic.TopicId);
            foreach (AlterPartitionRequest.PartitionData partition in topic.Partitions)
            {
                var result = new AlterPartitionResponse.PartitionData { PartitionIndex = partition.PartitionIndex };
                topicResult.Partitions.Add(result);
                if (name is null)
                {
                    result.ErrorCode = ErrorCode.UnknownTopicId;
                    continue;
                }
                await AlterAsync(controller, request.BrokerId, new TopicPartition(name, partition.PartitionIndex), partition, version, result,
                    cancellationToken).ConfigureAwait(false);
            }
        }
        return response;
    }

    private static async ValueTask AlterAsync(QuorumController controller, int brokerId, TopicPartition tp, AlterPartitionRequest.PartitionData partition,
        short version, AlterPartitionResponse.PartitionData result, CancellationToken cancellationToken)
    {
        try
        {
            PartitionRegistration state = await controller.AlterPartitionAsync(tp, brokerId, partition.LeaderEpoch, partition.PartitionEpoch,
                partition.IsrIds(version), cancellationToken).ConfigureAwait(false);
            result.LeaderId = state.Leader;
            result.LeaderEpoch = state.LeaderEpoch;
            result.Isr = [.. state.Isr];
            result.PartitionEpoch = state.PartitionEpoch;
            result.LeaderRecoveryState = partition.LeaderRecoveryState;
        }
        catch (InvalidUpdateVersionException)
        {
            result.ErrorCode = StaleChangeError(controller.Image.GetPartition(tp), brokerId, partition);
        }
        catch (IneligibleReplicaException)
        {
            // Before v2 the error did not exist; Kafka answered OPERATION_NOT_ATTEMPTED.
            result.ErrorCode = version >= 2 ? ErrorCode.IneligibleReplica : ErrorCode.OperationNotAttempted;
        }
        catch (UnknownTopicException)
        {
            result.ErrorCode = ErrorCode.UnknownTopicOrPartition;
        }
        catch (Exception e) when (IsRefusal(e))
        {
            result.ErrorCode = RefusalCode(e);
        }
    }

    /// <summary>Why a change was stale, in Kafka's order: an older leader epoch is fenced, a non-leader's request is
    /// invalid, and any other epoch mismatch is INVALID_UPDATE_VERSION. Kafka answers NOT_CONTROLLER to epochs ahead of
    /// its own, since its controller may lag the log; LogStore's applies every committed entry before deciding, so an
    /// epoch ahead of it was never issued, and retrying it elsewhere would not help.</summary>
    private static ErrorCode StaleChangeError(PartitionRegistration? state, int brokerId, AlterPartitionRequest.PartitionData partition)
    {
        if (state is null)
            return ErrorCode.UnknownTopicOrPartition;
        if (partition.LeaderEpoch < state.LeaderEpoch)
            return ErrorCode.FencedLeaderEpoch;
        if (brokerId != state.Leader)
            return ErrorCode.InvalidRequest;
        return ErrorCode.InvalidUpdateVersion;
    }

    private QuorumController? ActiveController()
    {
        try
        {
            return broker.Controller is { IsActive: true } controller ? controller : null;
        }
        catch (ObjectDisposedException)
        {
            // The node's controller stopped (the node is shutting down): it is no controller.
            return null;
        }
    }

    private bool IsMember(int nodeId)
    {
        foreach (ClusterNode node in broker.Options.Replication?.Nodes ?? [])
        {
            if (node.NodeId == nodeId)
                return true;
        }
        return false;
    }

    private static string? NameOf(ClusterImage image, Guid topicId)
    {
        foreach (TopicRegistration topic in image.Topics.Values)
        {
            if (topic.TopicId == topicId)
                return topic.Name;
        }
        return null;
    }

    // A controller disposed under the command is one that stopped leading.
    private static ErrorCode RefusalCode(Exception e) => e is ObjectDisposedException ? ErrorCode.NotController : ErrorCodes.FromException(e);

    // The controller's typed refusals, leadership lost mid-command, and a request the controller finds invalid
    // (ArgumentException). Anything else is a bug and reaches the connection's error handling.
    private static bool IsRefusal(Exception e) => e is LogStoreException or ArgumentException or ObjectDisposedException;
}
