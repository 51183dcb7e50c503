namespace LogStore;

/// <summary>A node's registration or heartbeat carried an epoch older than the one the controller holds, or came from a
/// node that never registered (Kafka's STALE_BROKER_EPOCH): the node must register again.</summary>
public sealed class StaleBrokerEpochException : LogStoreException
{
    /// <summary>Creates the exception for node <paramref name="nodeId"/>.</summary>
    public StaleBrokerEpochException(int nodeId, long nodeEpoch, long? currentEpoch)
        : base(currentEpoch is { } current
            ? $"Node {nodeId} sent epoch {nodeEpoch}, but the controller holds epoch {current} for it; register again."
            : $"Node {nodeId} is not registered with the controller; register it first.") => (NodeId, CurrentEpoch) = (nodeId, currentEpoch);

    /// <summary>The node's id.</summary>
    public int NodeId { get; }

    /// <summary>The epoch the controller holds for the node, when known: a registration must carry a higher one.</summary>
    public long? CurrentEpoch { get; }
}
