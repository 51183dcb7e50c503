using LogStore.Cluster.Metadata;

namespace LogStore.Cluster.Controller;

// The commands a broker (or an operator) sends to the active controller; each decides against the current image
// (ControllerDecisions) and throws a typed exception, changing nothing, when the request is refused.
internal sealed partial class QuorumController
{
    /// <summary>Registers node <paramref name="nodeId"/> (Kafka's BrokerRegistration): a restarted node registers with
    /// a higher epoch (its earlier incarnation fenced first; after an unclean shutdown it leaves the ISRs others can
    /// keep); the node is unfenced, starts a session, and leads the leaderless partitions whose ISR it is in.</summary>
    /// <exception cref="StaleBrokerEpochException">The controller holds a higher epoch for the node.</exception>
    public async ValueTask<NodeRegistration> RegisterNodeAsync(int nodeId, long nodeEpoch, string host, int port, bool cleanShutdown = true,
        CancellationToken cancellationToken = default)
    {
        var image = await ExecuteAsync(image =>
        {
            var records = ControllerDecisions.RegisterNode(image, nodeId, nodeEpoch, host, port, cleanShutdown);
            _heartbeats.Touch(nodeId);
            return records;
        }, cancellationToken).ConfigureAwait(false);
        return image.Nodes[nodeId];
    }

    /// <summary>A node's heartbeat: renews its session, and unfences it if it was fenced. A heartbeat that changes nothing
    /// (the node is registered with this epoch and unfenced) renews the session at once, without waiting behind the
    /// commands being committed (Kafka's KAFKA-17793): under a slow metadata log it would otherwise wait out the session
    /// it came to renew, and the controller would fence a live node.</summary>
    /// <exception cref="StaleBrokerEpochException">The node is not registered, or with another epoch.</exception>
    public async ValueTask HeartbeatAsync(int nodeId, long nodeEpoch, CancellationToken cancellationToken = default)
    {
        if (IsActive && Image.Nodes.TryGetValue(nodeId, out var known) && known.NodeEpoch == nodeEpoch && !known.Fenced)
        {
            _heartbeats.Touch(nodeId);
            return;
        }
        await ExecuteAsync(image =>
        {
            var records = ControllerDecisions.Heartbeat(image, nodeId, nodeEpoch);
            _heartbeats.Touch(nodeId);
            return records;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A node's heartbeat asking to shut down (Kafka's WantShutDown): renews its session and fences it, so its
    /// leaderships move to other live ISR members. Returns whether it may stop now (it is fenced: it leads nothing).</summary>
    /// <exception cref="StaleBrokerEpochException">The node is not registered, or with another epoch.</exception>
    public async ValueTask<bool> ControlledShutdownAsync(int nodeId, long nodeEpoch, CancellationToken cancellationToken = default)
    {
        var image = await ExecuteAsync(image =>
        {
            var records = ControllerDecisions.ControlledShutdown(image, nodeId, nodeEpoch);
            _heartbeats.Touch(nodeId);
            return records;
        }, cancellationToken).ConfigureAwait(false);
        bool fenced = !image.IsUnfenced(nodeId);
        if (fenced)
            ShutDownNode(_logger, nodeId, nodeEpoch);
        return fenced;
    }

    /// <summary>Creates a topic, its replicas placed round-robin over the unfenced nodes, each partition led by its
    /// first replica with every replica in sync, with <paramref name="configs"/> (Kafka's names) as its settings.</summary>
    /// <exception cref="TopicExistsException">The name is taken.</exception>
    /// <exception cref="InvalidReplicationFactorException">Fewer unfenced nodes than replicas asked for.</exception>
    public async ValueTask<TopicRegistration> CreateTopicAsync(string name, int partitions, int replicationFactor, bool uncleanLeaderElection = false,
        IReadOnlyList<(string Name, string Value)>? configs = null, CancellationToken cancellationToken = default)
    {
        var topicId = ControllerDecisions.NewTopicId();
        var image = await ExecuteAsync(image => ControllerDecisions.CreateTopic(image, name, partitions, replicationFactor, uncleanLeaderElection, configs, topicId),
            cancellationToken).ConfigureAwait(false);
        return image.Topics[name];
    }

    /// <summary>A partition leader's ISR shrink or expand (Kafka's AlterPartition): accepted only from the current
    /// leader at its current leader epoch, computed from the current partition epoch; the ISR must keep the leader and
    /// hold only replicas, and an added member must be unfenced.</summary>
    /// <exception cref="UnknownTopicException">No such partition.</exception>
    /// <exception cref="InvalidUpdateVersionException">The leader, leader epoch or partition epoch is stale.</exception>
    /// <exception cref="IneligibleReplicaException">The ISR names a non-replica or adds a fenced node.</exception>
    public async ValueTask<PartitionRegistration> AlterPartitionAsync(TopicPartition partition, int leaderId, int leaderEpoch, int partitionEpoch,
        IReadOnlyList<int> newIsr, CancellationToken cancellationToken = default)
    {
        var image = await ExecuteAsync(image => ControllerDecisions.AlterPartition(image, partition, leaderId, leaderEpoch, partitionEpoch, newIsr),
            cancellationToken).ConfigureAwait(false);
        return image.GetPartition(partition)!;
    }

    public async ValueTask<PartitionRegistration> ElectLeaderAsync(TopicPartition partition, int? preferredLeader, CancellationToken cancellationToken = default)
    {
        var image = await ExecuteAsync(image => ControllerDecisions.ElectLeader(image, partition, preferredLeader), cancellationToken).ConfigureAwait(false);
        return image.GetPartition(partition)!;
    }

    /// <summary>Fences every node silent for the session timeout; its leaderships move to other live ISR members
    /// (or to nobody), each a new leader epoch. Runs on a timer of the <see cref="TimeProvider"/>; public for tests.</summary>
    public async ValueTask FenceExpiredNodesAsync(CancellationToken cancellationToken = default)
    {
        List<NodeRegistration> expired = [];
        await ExecuteAsync(image =>
        {
            expired = _heartbeats.Expired(image);
            return ControllerDecisions.Fence(image, expired);
        }, cancellationToken).ConfigureAwait(false);
        foreach (NodeRegistration node in expired)
            FencedNode(_logger, node.NodeId, node.NodeEpoch);
    }
}
