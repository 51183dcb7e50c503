namespace LogStore;

/// <summary>A topic asked for more replicas than there are unfenced nodes, or fewer than one (Kafka's
/// INVALID_REPLICATION_FACTOR): the topic is not created.</summary>
public sealed class InvalidReplicationFactorException : LogStoreException
{
    /// <summary>Creates the exception.</summary>
    public InvalidReplicationFactorException(int replicationFactor, int availableNodes)
        : base($"A replication factor of {replicationFactor} needs as many unfenced nodes; {availableNodes} are available.") => ReplicationFactor = replicationFactor;

    /// <summary>The replication factor asked for.</summary>
    public int ReplicationFactor { get; }
}
