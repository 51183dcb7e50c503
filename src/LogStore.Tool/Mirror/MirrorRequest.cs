namespace LogStore.Tool.Mirror;

/// <summary>What <c>mirror</c> was asked for; at most one of FromOffset and FromTimestamp is set (the parser checks),
/// and neither means the log start offset.</summary>
/// <param name="DataDirectory">The source store, opened read-only.</param>
/// <param name="BootstrapServers">The target cluster, Kafka's <c>bootstrap.servers</c>.</param>
/// <param name="Topic">The source topic.</param>
/// <param name="TargetTopic">The topic written on the cluster (the source's name unless renamed).</param>
/// <param name="FromOffset">Start every partition at this offset.</param>
/// <param name="FromTimestamp">Start every partition at its first record at or after this time.</param>
/// <param name="Mapping">Which target partition each source partition goes to.</param>
/// <param name="ProducerProperties">Confluent (librdkafka) properties from <c>-X</c>, applied last.</param>
/// <param name="CheckpointFile">Where the position reached is kept and resumed from; null for none.</param>
/// <param name="ReplicationFactor">The replication factor of a topic the command creates; null: the cluster's default.</param>
internal sealed record MirrorRequest(
    string DataDirectory,
    string BootstrapServers,
    string Topic,
    string TargetTopic,
    long? FromOffset,
    DateTimeOffset? FromTimestamp,
    PartitionMapping Mapping,
    IReadOnlyList<KeyValuePair<string, string>> ProducerProperties,
    string? CheckpointFile,
    short? ReplicationFactor);
