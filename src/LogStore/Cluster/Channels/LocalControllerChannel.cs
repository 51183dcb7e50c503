using LogStore.Cluster.Controller;
using LogStore.Cluster.Metadata;

namespace LogStore.Cluster.Channels;

/// <summary>
/// The channel of a node that only ever talks to one controller in its own process (single-controller setups and
/// tests): each command runs on <paramref name="controller"/> as is, a refusal or NOT_CONTROLLER thrown to the caller
/// without retry. Thread-safe.
/// </summary>
internal sealed class LocalControllerChannel(QuorumController controller) : IControllerChannel
{
    public ValueTask<NodeRegistration> RegisterNodeAsync(int nodeId, long nodeEpoch, string host, int port, bool cleanShutdown, CancellationToken cancellationToken)
        => controller.RegisterNodeAsync(nodeId, nodeEpoch, host, port, cleanShutdown, cancellationToken);

    public ValueTask HeartbeatAsync(int nodeId, long nodeEpoch, CancellationToken cancellationToken)
        => controller.HeartbeatAsync(nodeId, nodeEpoch, cancellationToken);

    public ValueTask<bool> ControlledShutdownAsync(int nodeId, long nodeEpoch, CancellationToken cancellationToken)
        => controller.ControlledShutdownAsync(nodeId, nodeEpoch, cancellationToken);

    public ValueTask<PartitionRegistration> AlterPartitionAsync(TopicPartition partition, int leaderId, int leaderEpoch, int partitionEpoch,
        IReadOnlyList<int> newIsr, CancellationToken cancellationToken)
        => controller.AlterPartitionAsync(partition, leaderId, leaderEpoch, partitionEpoch, newIsr, cancellationToken);

    public ValueTask<TopicRegistration> CreateTopicAsync(string name, int partitions, int replicationFactor, bool uncleanLeaderElection,
        IReadOnlyList<(string Name, string Value)> configs, CancellationToken cancellationToken)
        => controller.CreateTopicAsync(name, partitions, replicationFactor, uncleanLeaderElection, configs, cancellationToken);
}
