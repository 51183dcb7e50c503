namespace LogStore.Cluster.Records;

/// <summary>
/// A change to the cluster metadata, as the controller's Raft log stores it (Kafka's metadata records, fewer fields).
/// The image is changed only by applying these, in log order, on every node alike; each record is a fact the
/// controller decided, so applying it needs no further checks. Immutable.
/// </summary>
internal abstract record MetadataRecord;

/// <summary>A node registered (or registered again after a restart, with a higher epoch): it is unfenced.</summary>
internal sealed record RegisterNodeRecord(int NodeId, long NodeEpoch, string Host, int Port) : MetadataRecord;

/// <summary>A node's session expired: it is fenced.</summary>
internal sealed record FenceNodeRecord(int NodeId, long NodeEpoch) : MetadataRecord;

/// <summary>A fenced node heart-beat again with its current epoch: it is unfenced.</summary>
internal sealed record UnfenceNodeRecord(int NodeId, long NodeEpoch) : MetadataRecord;

/// <summary>A topic was created; its partitions follow as <see cref="PartitionRecord"/>s.</summary>
internal sealed record TopicRecord(string Name, Guid TopicId, bool UncleanLeaderElection) : MetadataRecord;

/// <summary>One setting of a topic, by Kafka's name (Kafka's ConfigRecord for a topic resource): every node creates its
/// replicas of the topic with the same settings.</summary>
internal sealed record TopicConfigRecord(Guid TopicId, string Name, string Value) : MetadataRecord;

/// <summary>A partition's whole state: written at creation and in snapshots (no ELR: none).</summary>
internal sealed record PartitionRecord(Guid TopicId, int Partition, int[] Replicas, int Leader, int LeaderEpoch, int[] Isr, int PartitionEpoch,
    int[]? Elr = null) : MetadataRecord;

/// <summary>A partition's new leader, ISR and eligible leader replicas (null: unchanged); applying it bumps the
/// partition epoch, and the leader epoch if the leader changed (Kafka's PartitionChangeRecord).</summary>
internal sealed record PartitionChangeRecord(Guid TopicId, int Partition, int Leader, int[] Isr, int[]? Elr = null) : MetadataRecord;
