using LogStore.Cluster.Metadata;

namespace LogStore.Cluster;

/// <summary>
/// A broker's way to the active controller (Kafka's BrokerToControllerChannelManager): each command goes to whichever
/// node leads the Raft quorum now, in this process or over the network, and is retried there when leadership moves
/// (NOT_CONTROLLER) within the caller's cancellation. A refusal (a stale epoch, an ineligible replica) comes back as
/// the controller's typed exception. Thread-safe.
/// </summary>
internal interface IControllerChannel
{
    /// <summary><see cref="Controller.QuorumController.RegisterNodeAsync"/> on the active controller.</summary>
    ValueTask<NodeRegistration> RegisterNodeAsync(int nodeId, long nodeEpoch, string host, int port, bool cleanShutdown, CancellationToken cancellationToken);

    /// <summary><see cref="Controller.QuorumController.HeartbeatAsync"/> on the active controller.</summary>
    ValueTask HeartbeatAsync(int nodeId, long nodeEpoch, CancellationToken cancellationToken);

    /// <summary><see cref="Controller.QuorumController.ControlledShutdownAsync"/> on the active controller: a heartbeat
    /// with WantShutDown; true once the node may stop. A channel without controlled shutdown answers true at once.</summary>
    ValueTask<bool> ControlledShutdownAsync(int nodeId, long nodeEpoch, CancellationToken cancellationToken) => ValueTask.FromResult(true);

    /// <summary><see cref="Controller.QuorumController.AlterPartitionAsync"/> on the active controller: a leader's ISR change.</summary>
    ValueTask<PartitionRegistration> AlterPartitionAsync(TopicPartition partition, int leaderId, int leaderEpoch, int partitionEpoch,
        IReadOnlyList<int> newIsr, CancellationToken cancellationToken);

    /// <summary><see cref="Controller.QuorumController.CreateTopicAsync"/> on the active controller, with the topic's
    /// settings by Kafka's names.</summary>
    ValueTask<TopicRegistration> CreateTopicAsync(string name, int partitions, int replicationFactor, bool uncleanLeaderElection,
        IReadOnlyList<(string Name, string Value)> configs, CancellationToken cancellationToken);
}
