using LogStore.Cluster.Metadata;
using LogStore.Cluster.Records;

namespace LogStore.Cluster.Static;

/// <summary>
/// Cluster metadata without a controller, for two-node setups where Raft has no majority to lose: nodes, replicas and
/// leaders come from configuration (each partition's first replica leads, every replica is in sync), and only an
/// operator's <see cref="ElectLeaderAsync"/> moves a leader, bumping its epochs as the Raft controller would. Nothing is
/// persisted: every node starts from the same configuration. Thread-safe.
/// </summary>
internal sealed class StaticClusterMetadata : IClusterMetadata
{
    private readonly Lock _lock = new();
    private ClusterImage _image;

    /// <summary>The image of <paramref name="nodes"/> and <paramref name="topics"/> (each topic's replica lists by
    /// partition; topic ids derive from names, so every node computes the same).</summary>
    public StaticClusterMetadata(IEnumerable<NodeRegistration> nodes, IEnumerable<(string Topic, int[][] Replicas, bool UncleanLeaderElection)> topics)
    {
        var image = ClusterImage.Empty;
        foreach (var node in nodes)
            image = image.Apply(new RegisterNodeRecord(node.NodeId, node.NodeEpoch, node.Host, node.Port));
        foreach (var (topic, replicas, unclean) in topics)
        {
            var id = TopicIdOf(topic);
            image = image.Apply(new TopicRecord(topic, id, unclean));
            for (int p = 0; p < replicas.Length; p++)
            {
                if (replicas[p].Length == 0 || replicas[p].Any(n => !image.Nodes.ContainsKey(n)))
                    throw new ArgumentException($"Partition {topic}-{p} needs replicas among the configured nodes.", nameof(topics));
                image = image.Apply(new PartitionRecord(id, p, [.. replicas[p]], replicas[p][0], 0, [.. replicas[p]], 0));
            }
        }
        _image = image;
    }

    public ClusterImage Image => Volatile.Read(ref _image);

    public event Action<ClusterImage>? Changed;

    public ValueTask<PartitionRegistration> ElectLeaderAsync(TopicPartition partition, int? preferredLeader, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ClusterImage next;
        lock (_lock)
        {
            var state = _image.GetPartition(partition) ?? throw new UnknownTopicException(partition.Topic, partition.Partition);
            var topic = _image.Topics[partition.Topic];
            if (preferredLeader is { } wanted && !state.IsReplica(wanted))
                throw new IneligibleReplicaException(partition, wanted, "it is not a replica");
            var choice = PartitionChangeBuilder.Elect(_image, state, preferredLeader, topic.UncleanLeaderElection, PartitionChangeBuilder.MinIsr(topic))
                ?? throw new EligibleLeadersNotAvailableException(partition);
            next = _image.Apply(new PartitionChangeRecord(topic.TopicId, partition.Partition, choice.Leader, choice.Isr, choice.Elr));
            Volatile.Write(ref _image, next);
        }
        Changed?.Invoke(next);
        return ValueTask.FromResult(next.GetPartition(partition)!);
    }

    // A name-based id (the first 16 bytes of its SHA-256), so that nodes configured alike agree without talking.
    private static Guid TopicIdOf(string topic)
        => new(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(topic)).AsSpan(0, 16));
}
