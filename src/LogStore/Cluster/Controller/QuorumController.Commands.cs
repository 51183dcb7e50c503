using LogStore.Cluster.Metadata;
using LogStore.Cluster.Records;

namespace LogStore.Cluster.Controller;

// The commands a broker (or an operator) sends to the active controller; each decides against the current image and
// throws a typed exception, changing nothing, when the request is refused.
internal sealed partial class QuorumController
{
    /// <summary>Registers node <paramref name="nodeId"/> (Kafka's BrokerRegistration): a restarted node registers with
    /// a higher epoch; the node is unfenced, starts a session, and leads the leaderless partitions whose ISR it is in.</summary>
    /// <exception cref="StaleBrokerEpochException">The controller holds a higher epoch for the node.</exception>
    public async ValueTask<NodeRegistration> RegisterNodeAsync(int nodeId, long nodeEpoch, string host, int port, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nodeId);
        ArgumentException.ThrowIfNullOrEmpty(host);
        var image = await ExecuteAsync(image =>
        {
            if (image.Nodes.TryGetValue(nodeId, out var known) && known.NodeEpoch > nodeEpoch)
                throw new StaleBrokerEpochException(nodeId, nodeEpoch, known.NodeEpoch);
            _heartbeats.Touch(nodeId);
            var records = new List<MetadataRecord> { new RegisterNodeRecord(nodeId, nodeEpoch, host, port) };
            AddUnfencedChanges(image, nodeId, records);
            return records;
        }, cancellationToken).ConfigureAwait(false);
        return image.Nodes[nodeId];
    }

    /// <summary>A node's heartbeat: renews its session, and unfences it if it was fenced.</summary>
    /// <exception cref="StaleBrokerEpochException">The node is not registered, or with another epoch.</exception>
    public async ValueTask HeartbeatAsync(int nodeId, long nodeEpoch, CancellationToken cancellationToken = default)
    {
        await ExecuteAsync(image =>
        {
            if (!image.Nodes.TryGetValue(nodeId, out var known) || known.NodeEpoch != nodeEpoch)
                throw new StaleBrokerEpochException(nodeId, nodeEpoch, known?.NodeEpoch);
            _heartbeats.Touch(nodeId);
            var records = new List<MetadataRecord>();
            if (known.Fenced)
            {
                records.Add(new UnfenceNodeRecord(nodeId, nodeEpoch));
                AddUnfencedChanges(image, nodeId, records);
            }
            return records;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates a topic, its replicas placed round-robin over the unfenced nodes, each partition led by its
    /// first replica with every replica in sync, with <paramref name="configs"/> (Kafka's names) as its settings.</summary>
    /// <exception cref="TopicExistsException">The name is taken.</exception>
    /// <exception cref="InvalidReplicationFactorException">Fewer unfenced nodes than replicas asked for.</exception>
    public async ValueTask<TopicRegistration> CreateTopicAsync(string name, int partitions, int replicationFactor, bool uncleanLeaderElection = false,
        IReadOnlyList<(string Name, string Value)>? configs = null, CancellationToken cancellationToken = default)
    {
        TopicName.Validate(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        var image = await ExecuteAsync(image =>
        {
            if (image.Topics.ContainsKey(name))
                throw new TopicExistsException(name);
            var unfenced = image.Nodes.Values.Where(n => !n.Fenced).Select(n => n.NodeId).ToList();
            if (replicationFactor < 1 || replicationFactor > unfenced.Count)
                throw new InvalidReplicationFactorException(replicationFactor, unfenced.Count);
            var topicId = Guid.NewGuid();
            var records = new List<MetadataRecord> { new TopicRecord(name, topicId, uncleanLeaderElection) };
            foreach ((string configName, string value) in configs ?? [])
                records.Add(new TopicConfigRecord(topicId, configName, value));
            for (int p = 0; p < partitions; p++)
            {
                int[] replicas = PartitionChangeBuilder.PlaceReplicas(unfenced, p, replicationFactor);
                records.Add(new PartitionRecord(topicId, p, replicas, replicas[0], 0, [.. replicas], 0));
            }
            return records;
        }, cancellationToken).ConfigureAwait(false);
        return image.Topics[name];
    }

    /// <summary>A partition leader's ISR shrink or expand (Kafka's AlterPartition): accepted only from the current
    /// leader at its current leader epoch, computed from the current partition epoch; the ISR must keep the leader and
    /// hold only replicas, and an added member must be unfenced.</summary>
    /// <exception cref="UnknownTopicException">No such partition.</exception>
    /// <exception cref="InvalidUpdateVersionException">The leader, leader epoch or partition epoch is stale.</exception>
    /// <exception cref="IneligibleReplicaException">The ISR names a non-replica or adds a fenced node.</exception>
    public async ValueTask<PartitionRegistration> AlterPartitionAsync(TopicPartition partition, int leaderId, int leaderEpoch, int partitionEpoch,
        IReadOnlyList<int> newIsr, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(newIsr);
        int[] isr = [.. newIsr.Distinct()];
        var image = await ExecuteAsync(image =>
        {
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
        }, cancellationToken).ConfigureAwait(false);
        return image.GetPartition(partition)!;
    }

    public async ValueTask<PartitionRegistration> ElectLeaderAsync(TopicPartition partition, int? preferredLeader, CancellationToken cancellationToken = default)
    {
        var image = await ExecuteAsync(image =>
        {
            var state = image.GetPartition(partition) ?? throw new UnknownTopicException(partition.Topic, partition.Partition);
            if (preferredLeader is { } wanted && !state.IsReplica(wanted))
                throw new IneligibleReplicaException(partition, wanted, "it is not a replica");
            var choice = PartitionChangeBuilder.Elect(image, state, preferredLeader, image.Topics[partition.Topic].UncleanLeaderElection)
                ?? throw new EligibleLeadersNotAvailableException(partition);
            if (choice.Leader == state.Leader)
                return [];
            return [new PartitionChangeRecord(TopicIdOf(image, partition), partition.Partition, choice.Leader, choice.Isr)];
        }, cancellationToken).ConfigureAwait(false);
        return image.GetPartition(partition)!;
    }

    /// <summary>Fences every node silent for the session timeout; its leaderships move to other live ISR members
    /// (or to nobody), each a new leader epoch. Runs on a timer of the <see cref="TimeProvider"/>; public for tests.</summary>
    public async ValueTask FenceExpiredNodesAsync(CancellationToken cancellationToken = default)
    {
        await ExecuteAsync(image =>
        {
            var records = new List<MetadataRecord>();
            foreach (var node in _heartbeats.Expired(image))
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
        }, cancellationToken).ConfigureAwait(false);
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
