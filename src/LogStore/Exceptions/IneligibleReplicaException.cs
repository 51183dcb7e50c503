namespace LogStore;

/// <summary>A proposed ISR or leader names a node that is not a replica of the partition or is fenced (Kafka's
/// INELIGIBLE_REPLICA): the partition is unchanged.</summary>
public sealed class IneligibleReplicaException : LogStoreException
{
    /// <summary>Creates the exception for <paramref name="partition"/> and node <paramref name="nodeId"/>.</summary>
    public IneligibleReplicaException(TopicPartition partition, int nodeId, string reason)
        : base($"Node {nodeId} cannot be in the ISR or lead {partition}: {reason}.") => TopicPartition = partition;

    /// <summary>The partition.</summary>
    public TopicPartition TopicPartition { get; }
}
