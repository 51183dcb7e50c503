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
    /// <summary>
    /// A node (re)starting. An earlier incarnation still unfenced is fenced first: a new one proves it gone, and its
    /// leaderships must move before the new one, whose log may be shorter, is seen as the same replica. After an unclean
    /// shutdown (<paramref name="cleanShutdown"/> false) the node leaves the ISR and the eligible leader replicas where
    /// others hold every committed record (KIP-966). Then it is unfenced and leads what waits for it.
    /// </summary>
    /// <exception cref="StaleBrokerEpochException">The image holds a higher epoch for the node.</exception>
    public static List<MetadataRecord> RegisterNode(ClusterImage image, int nodeId, long nodeEpoch, string host, int port, bool cleanShutdown)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nodeId);
        ArgumentException.ThrowIfNullOrEmpty(host);
        var records = new List<MetadataRecord>();
        if (image.Nodes.TryGetValue(nodeId, out var known))
        {
            if (known.NodeEpoch > nodeEpoch)
                throw new StaleBrokerEpochException(nodeId, nodeEpoch, known.NodeEpoch);
            // Only after an unclean shutdown: a live process registering again (its log intact) keeps its leaderships.
            if (!known.Fenced && known.NodeEpoch != nodeEpoch && !cleanShutdown)
                image = ApplyAll(image, Fence(image, [known]), records);
        }
        image = ApplyAll(image, [new RegisterNodeRecord(nodeId, nodeEpoch, host, port)], records);
        if (!cleanShutdown)
        {
            foreach (var topic in image.Topics.Values)
            {
                for (int p = 0; p < topic.Partitions.Length; p++)
                {
                    if (PartitionChangeBuilder.OnUncleanRestart(image, topic.Partitions[p], nodeId, PartitionChangeBuilder.MinIsr(topic)) is { } change)
                        image = ApplyAll(image, [ChangeRecord(topic, p, change)], records);
                }
            }
        }
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

    /// <summary>A node stopping gracefully (a heartbeat with Kafka's WantShutDown, KIP-631): it is fenced now rather than
    /// after a silent session, so its leaderships move to other live ISR members and it leaves every ISR while it still
    /// serves; fenced, it is elected nowhere and added to no ISR until it registers again. Nothing when already fenced.</summary>
    /// <exception cref="StaleBrokerEpochException">The node is not registered, or with another epoch.</exception>
    public static List<MetadataRecord> ControlledShutdown(ClusterImage image, int nodeId, long nodeEpoch)
    {
        if (!image.Nodes.TryGetValue(nodeId, out var known) || known.NodeEpoch != nodeEpoch)
            throw new StaleBrokerEpochException(nodeId, nodeEpoch, known?.NodeEpoch);
        return known.Fenced ? [] : Fence(image, [known]);
    }

    /// <summary>Whether <paramref name="nodeId"/> has something to hand over before it stops: it is in the ISR of a
    /// partition together with another unfenced node (which can lead it, or take acks=all writes without it).</summary>
    public static bool HasSomethingToHandOver(ClusterImage image, int nodeId)
    {
        if (!image.IsUnfenced(nodeId))
            return false;
        foreach (var topic in image.Topics.Values)
        {
            foreach (var partition in topic.Partitions)
            {
                if (partition.IsInSync(nodeId) && partition.Isr.Any(other => other != nodeId && image.IsUnfenced(other)))
                    return true;
            }
        }
        return false;
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
        var topic = image.Topics[partition.Topic];
        return [new PartitionChangeRecord(topic.TopicId, partition.Partition, leaderId, isr,
            PartitionChangeBuilder.NextElr(state, isr, PartitionChangeBuilder.MinIsr(topic)))];
    }

    /// <exception cref="UnknownTopicException">No such topic or partition.</exception>
    /// <exception cref="IneligibleReplicaException">The preferred leader is not a replica.</exception>
    /// <exception cref="EligibleLeadersNotAvailableException">Nobody can lead it.</exception>
    public static List<MetadataRecord> ElectLeader(ClusterImage image, TopicPartition partition, int? preferredLeader)
    {
        var state = image.GetPartition(partition) ?? throw new UnknownTopicException(partition.Topic, partition.Partition);
        if (preferredLeader is { } wanted && !state.IsReplica(wanted))
            throw new IneligibleReplicaException(partition, wanted, "it is not a replica");
        var topic = image.Topics[partition.Topic];
        var choice = PartitionChangeBuilder.Elect(image, state, preferredLeader, topic.UncleanLeaderElection, PartitionChangeBuilder.MinIsr(topic))
            ?? throw new EligibleLeadersNotAvailableException(partition);
        if (choice.Leader == state.Leader)
            return [];
        return [ChangeRecord(topic, partition.Partition, choice)];
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
                    if (PartitionChangeBuilder.OnFenced(image, topic.Partitions[p], node.NodeId, PartitionChangeBuilder.MinIsr(topic)) is { } change)
                    {
                        var record = ChangeRecord(topic, p, change);
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
                if (PartitionChangeBuilder.OnUnfenced(image, topic.Partitions[p], nodeId, PartitionChangeBuilder.MinIsr(topic)) is { } change)
                    records.Add(ChangeRecord(topic, p, change));
            }
        }
    }

    private static PartitionChangeRecord ChangeRecord(TopicRegistration topic, int partition, PartitionChangeBuilder.Change change)
        => new(topic.TopicId, partition, change.Leader, change.Isr, change.Elr);

    /// <summary>Adds <paramref name="add"/> to <paramref name="records"/> and returns the image after them, so that
    /// the next decision sees their effect.</summary>
    private static ClusterImage ApplyAll(ClusterImage image, List<MetadataRecord> add, List<MetadataRecord> records)
    {
        foreach (MetadataRecord record in add)
        {
            records.Add(record);
            image = image.Apply(record);
        }
        return image;
    }
}
