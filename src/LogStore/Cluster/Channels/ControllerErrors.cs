using System.Net;
using LogStore.Cluster.Metadata;
using LogStore.Protocol;

namespace LogStore.Cluster.Channels;

/// <summary>
/// The controller's error codes back to the typed exceptions its commands throw in-process (the inverse of
/// <see cref="Network.Apis.ControllerApis"/>), so a caller handles a refusal alike wherever the controller runs. An
/// error no command expects becomes a plain <see cref="LogStoreException"/> naming it. Stateless.
/// </summary>
internal static class ControllerErrors
{
    /// <summary>A refusal of a node's registration or heartbeat; <paramref name="knownEpoch"/> is the node's epoch in this
    /// node's copy of the metadata (the wire error carries none), passed on when above the refused one.</summary>
    public static LogStoreException ForNode(ErrorCode error, int nodeId, long nodeEpoch, long? knownEpoch, EndPoint? from) => error switch
    {
        ErrorCode.StaleBrokerEpoch => new StaleBrokerEpochException(nodeId, nodeEpoch, knownEpoch > nodeEpoch ? knownEpoch : null),
        _ => Unexpected(error, null, from),
    };

    public static LogStoreException ForPartition(ErrorCode error, TopicPartition partition, int leaderId, long leaderNodeEpoch,
        IReadOnlyList<int> isr, ClusterImage? image, EndPoint? from) => error switch
    {
        // Kafka's four ways of saying the change was computed from a state that is no longer current.
        ErrorCode.FencedLeaderEpoch or ErrorCode.InvalidUpdateVersion or ErrorCode.InvalidRequest or ErrorCode.NewLeaderElected
            => new InvalidUpdateVersionException(partition, $"the controller answered {error}"),
        ErrorCode.IneligibleReplica or ErrorCode.OperationNotAttempted
            => new IneligibleReplicaException(partition, IneligibleMember(partition, leaderId, isr, image), $"the controller answered {error}"),
        ErrorCode.UnknownTopicId or ErrorCode.UnknownTopicOrPartition => new UnknownTopicException(partition.Topic, partition.Partition),
        ErrorCode.EligibleLeadersNotAvailable => new EligibleLeadersNotAvailableException(partition),
        ErrorCode.StaleBrokerEpoch => new StaleBrokerEpochException(leaderId, leaderNodeEpoch, null),
        _ => Unexpected(error, null, from),
    };

    public static LogStoreException ForTopic(ErrorCode error, string name, string? message, int partitions, int replicationFactor,
        ClusterImage? image, EndPoint? from) => error switch
    {
        ErrorCode.TopicAlreadyExists => new TopicExistsException(name),
        ErrorCode.InvalidReplicationFactor => new InvalidReplicationFactorException(replicationFactor, UnfencedNodes(image)),
        ErrorCode.InvalidTopic => new InvalidTopicException(name, message ?? "the controller refused the name"),
        ErrorCode.InvalidPartitions => new InvalidPartitionsException(name, 0, partitions),
        ErrorCode.InvalidConfig => new InvalidConfigurationException(name, "", message ?? "the controller refused a config"),
        _ => Unexpected(error, message, from),
    };

    private static LogStoreException Unexpected(ErrorCode error, string? message, EndPoint? from)
        => new($"The controller at {from} answered {error}{(message is null ? "" : ": " + message)}.");

    // The member the controller most likely refused, by this node's view: a non-replica, else a fenced node.
    private static int IneligibleMember(TopicPartition partition, int leaderId, IReadOnlyList<int> isr, ClusterImage? image)
    {
        if (image?.GetPartition(partition) is { } state)
        {
            foreach (int member in isr)
            {
                if (!state.IsReplica(member) || (!state.IsInSync(member) && !image.IsUnfenced(member)))
                    return member;
            }
        }
        return leaderId;
    }

    private static int UnfencedNodes(ClusterImage? image)
    {
        int count = 0;
        foreach (NodeRegistration node in image?.Nodes.Values ?? [])
        {
            if (!node.Fenced)
                count++;
        }
        return count;
    }
}
