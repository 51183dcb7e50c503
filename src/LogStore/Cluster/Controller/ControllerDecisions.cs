using LogStore.Cluster.Metadata;
using LogStore.Cluster.Records;
using LogStore.Storage;

namespace LogStore.Cluster.Controller;

/// <summary>
/// What the controller decides for each command, as records to append, from the current image alone (Kafka's
/// ReplicationControlManager and ClusterControlManager): a refusal is a typed exception and no record. The Raft
/// controller replicates what these return; a simulation's controller applies them directly. Stateless, thread-safe.
/// </summary>
internal static class ControllerDecisions
{
    /// <exception cref="StaleBrokerEpochException">The image holds a higher epoch for the node.</exception>
    public static List<MetadataRecord> RegisterNode(ClusterImage image, int nodeId, long nodeEpoch, string host, int port)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nodeId);
        ArgumentException.ThrowIfNullOrEmpty(host);
        if (image.Nodes.TryGetValue(nodeId, out var known) && known.NodeEpoch > nodeEpoch)
            throw new StaleBrokerEpochException(nodeId, nodeEpoch, known.NodeEpoch);
        var records = new List<MetadataRecord> { new RegisterNodeRecord(nodeId, nodeEpoch, host, port) };
        AddUnfencedChanges(image, nodeId, records);
        return records;
    }

    /// <exception cref="StaleBrokerEpochException">The node is not registered, or with another epoch.</exception>
    public static List<MetadataRecord> Heartbeat(ClusterImage image, int nodeId, long nodeEpoch)
    {
        if (!image.Nodes.TryGetValue(nodeId, out var known) || known.NodeEpoch != nodeEpoch)
            throw new StaleBrokerEpochException(nodeId, nodeEpoch, known?.NodeEpoch);
        var records = new List<MetadataRecord>();
        if (known.Fenced)
        {
            records.Add(new UnfenceNodeRecord(nodeId, nodeEpoch));
            AddUnfencedChanges(image, nodeId, records);
        }
        return records;
    }

    /// <exception cref="TopicExistsException">The name is taken.</exception>
    /// <exception cref="InvalidReplicationFactorException">Fewer unfenced nodes than replicas asked for.</exception>
    public static List<MetadataRecord> CreateTopic(ClusterImage image, string name, int partitions, int replicationFactor, bool uncleanLeaderElection,
        IReadOnlyList<(string Name, string Value)>? configs, Guid topicId)
    {
        TopicName.Validate(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        if (image.Topics.ContainsKey(name))
            throw new TopicExistsException(name);
        var unfenced = image.Nodes.Values.Where(n => !n.Fenced).Select(n => n.NodeId).ToList();
        if (replicationFactor < 1 || replicationFactor > unfenced.Count)
            throw new InvalidReplicationFactorException(replicationFactor, unfenced.Count);
        var records = new List<MetadataRecord> { new TopicRecord(name, topicId, uncleanLeaderElection) };
        foreach ((string configName, string value) in configs ?? [])
            records.Add(new TopicConfigRecord(topicId, configName, value));
        for (int p = 0; p < partitions; p++)
        {
            int[] replicas = PartitionChangeBuilder.PlaceReplicas(unfenced, p, replicationFactor);
            records.Add(new PartitionRecord(topicId, p, replicas, replicas[0], 0, [.. replicas], 0));
        }
        return records;
    }

    /// <summary>A new random topic id that Kafka never reserves.</summary>
    public static Guid NewTopicId() => KafkaUuid.NewTopicId();

    /// <exception cref="UnknownTopicException">No such partition.</exception>
    /// <exception cref="InvalidUpdateVersionException">The leader, leader epoch or partition epoch is stale.</exception>
    /// <exception cref="IneligibleReplicaException">The ISR names a non-replica or adds a fenced node.</exception>
    public static List<MetadataRecord> AlterPartition(ClusterImage image, TopicPartition partition, int leaderId, int leaderEpoch, int partitionEpoch,
        IReadOnlyList<int> newIsr)
    {
        ArgumentNullException.ThrowIfNull(newIsr);
        int[] isr = [.. newIsr.Distinct()];
        var state = image.GetPartition(partition) ?? throw new UnknownTopicException(partition.Topic, partition.Partition);
        if (state.Leader != leaderId || state.LeaderEpoch != leaderEpoch)
            throw new InvalidUpdateVersionException(partition, $"node {leaderId} at leader epoch {leaderEpoch} is not the leader (node {state.Leader}, epoch {state.LeaderEpoch})");
        if (state.PartitionEpoch != partitionEpoch)
            throw new InvalidUpdateVersionException(partition, $"partition epoch {partitionEpoch} is not the current {state.PartitionEpoch}");
        if (!isr.Contains(leaderId))
            throw new IneligibleReplicaException(partition, leaderId, "the leader must stay in the ISR");
        foreach (int member in isr)
        {
            if (!state.IsReplica(member))
                throw new IneligibleReplicaException(partition, member, "it is not a replica");
            if (!state.IsInSync(member) && !image.IsUnfenced(member))
                throw new IneligibleReplicaException(partition, member, "it is fenced");
        }
        return [new PartitionChangeRecord(TopicIdOf(image, partition), partition.Partition, leaderId, isr)];
    }

    /// <exception cref="UnknownTopicException">No such topic or partition.</exception>
    /// <exception cref="IneligibleReplicaException">The preferred leader is not a replica.</exception>
    /// <exception cref="EligibleLeadersNotAvailableException">Nobody can lead it.</exception>
    public static List<MetadataRecord> ElectLeader(ClusterImage image, TopicPartition partition, int? preferredLeader)
    {
        var state = image.GetPartition(partition) ?? throw new UnknownTopicException(partition.Topic, partition.Partition);
        if (preferredLeader is { } wanted && !state.IsReplica(wanted))
            throw new IneligibleReplicaException(partition, wanted, "it is not a replica");
        var choice = PartitionChangeBuilder.Elect(image, state, preferredLeader, image.Topics[partition.Topic].UncleanLeaderElection)
            ?? throw new EligibleLeadersNotAvailableException(partition);
        if (choice.Leader == state.Leader)
            return [];
        return [new PartitionChangeRecord(TopicIdOf(image, partition), partition.Partition, choice.Leader, choice.Isr)];
    }

    /// <summary>Fences <paramref name="expired"/> (nodes whose session ended); their leaderships move to other live ISR
    /// members (or to nobody), each a new leader epoch.</summary>
    public static List<MetadataRecord> Fence(ClusterImage image, IEnumerable<NodeRegistration> expired)
    {
        var records = new List<MetadataRecord>();
        foreach (var node in expired)
        {
            var fence = new FenceNodeRecord(node.NodeId, node.NodeEpoch);
            records.Add(fence);
            image = image.Apply(fence);
            foreach (var topic in image.Topics.Values)
            {
                for (int p = 0; p < topic.Partitions.Length; p++)
                {
                    if (PartitionChangeBuilder.OnFenced(image, topic.Partitions[p], node.NodeId) is { } change)
                    {
                        var record = new PartitionChangeRecord(topic.TopicId, p, change.Leader, change.Isr);
                        records.Add(record);
                        image = image.Apply(record);
                    }
                }
            }
        }
        return records;
    }

    private static void AddUnfencedChanges(ClusterImage image, int nodeId, List<MetadataRecord> records)
    {
        foreach (var topic in image.Topics.Values)
        {
            for (int p = 0; p < topic.Partitions.Length; p++)
            {
                if (PartitionChangeBuilder.OnUnfenced(topic.Partitions[p], nodeId) is { } change)
                    records.Add(new PartitionChangeRecord(topic.TopicId, p, change.Leader, change.Isr));
            }
        }
    }

    private static Guid TopicIdOf(ClusterImage image, TopicPartition partition) => image.Topics[partition.Topic].TopicId;
}
