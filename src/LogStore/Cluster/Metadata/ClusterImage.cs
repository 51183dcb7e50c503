using System.Collections.Immutable;
using System.Text;
using LogStore.Cluster.Records;

namespace LogStore.Cluster.Metadata;

/// <summary>
/// The cluster metadata at one point of the controller log (Kafka's MetadataImage): nodes by id and topics by name,
/// each with its partitions. Immutable: applying a record returns a new image sharing what did not change, so a reader
/// holds a consistent image without locks. Every node that applied the same records holds an equal image
/// (<see cref="Describe"/> is its canonical text).
/// </summary>
internal sealed class ClusterImage
{
    public static readonly ClusterImage Empty = new(ImmutableSortedDictionary<int, NodeRegistration>.Empty,
        ImmutableSortedDictionary<string, TopicRegistration>.Empty.WithComparers(StringComparer.Ordinal), 0);

    private ClusterImage(ImmutableSortedDictionary<int, NodeRegistration> nodes, ImmutableSortedDictionary<string, TopicRegistration> topics, long offset)
    {
        Nodes = nodes;
        Topics = topics;
        Offset = offset;
    }

    public ImmutableSortedDictionary<int, NodeRegistration> Nodes { get; }

    public ImmutableSortedDictionary<string, TopicRegistration> Topics { get; }

    /// <summary>The index of the last controller log entry applied (0: none).</summary>
    public long Offset { get; }

    public PartitionRegistration? GetPartition(TopicPartition partition)
        => Topics.TryGetValue(partition.Topic, out var topic) && (uint)partition.Partition < (uint)topic.Partitions.Length
            ? topic.Partitions[partition.Partition] : null;

    public bool IsUnfenced(int nodeId) => Nodes.TryGetValue(nodeId, out var node) && !node.Fenced;

    public ClusterImage WithOffset(long offset) => new(Nodes, Topics, offset);

    /// <summary>The image after <paramref name="record"/>. A record naming an unknown node or topic changes nothing:
    /// the controller never writes one, and refusing it on a follower would stop its log forever.</summary>
    public ClusterImage Apply(MetadataRecord record)
    {
        switch (record)
        {
            case RegisterNodeRecord r:
                return With(Nodes.SetItem(r.NodeId, new NodeRegistration(r.NodeId, r.NodeEpoch, r.Host, r.Port, Fenced: false)), Topics);
            case FenceNodeRecord r when Nodes.TryGetValue(r.NodeId, out var node) && node.NodeEpoch == r.NodeEpoch:
                return With(Nodes.SetItem(r.NodeId, node with { Fenced = true }), Topics);
            case UnfenceNodeRecord r when Nodes.TryGetValue(r.NodeId, out var node) && node.NodeEpoch == r.NodeEpoch:
                return With(Nodes.SetItem(r.NodeId, node with { Fenced = false }), Topics);
            case TopicRecord r when !Topics.ContainsKey(r.Name):
                return With(Nodes, Topics.Add(r.Name, new TopicRegistration(r.Name, r.TopicId, r.UncleanLeaderElection, [])));
            case PartitionRecord r when FindTopic(r.TopicId) is { } topic && r.Partition <= topic.Partitions.Length:
                var state = new PartitionRegistration(r.Replicas, r.Leader, r.LeaderEpoch, r.Isr, r.PartitionEpoch, r.Elr);
                return With(Nodes, Topics.SetItem(topic.Name, r.Partition == topic.Partitions.Length
                    ? topic with { Partitions = topic.Partitions.Add(state) } : topic.WithPartition(r.Partition, state)));
            case TopicConfigRecord r when FindTopic(r.TopicId) is { } topic:
                return With(Nodes, Topics.SetItem(topic.Name, topic with { Configs = topic.Configs.SetItem(r.Name, r.Value) }));
            case PartitionChangeRecord r when FindTopic(r.TopicId) is { } topic && (uint)r.Partition < (uint)topic.Partitions.Length:
                return With(Nodes, Topics.SetItem(topic.Name, topic.WithPartition(r.Partition, topic.Partitions[r.Partition].Change(r.Leader, r.Isr, r.Elr))));
            default:
                return this;
        }
    }

    /// <summary>Records that rebuild this image from <see cref="Empty"/>: the snapshot's content.</summary>
    public List<MetadataRecord> ToRecords()
    {
        var records = new List<MetadataRecord>();
        foreach (var node in Nodes.Values)
        {
            records.Add(new RegisterNodeRecord(node.NodeId, node.NodeEpoch, node.Host, node.Port));
            if (node.Fenced)
                records.Add(new FenceNodeRecord(node.NodeId, node.NodeEpoch));
        }
        foreach (var topic in Topics.Values)
        {
            records.Add(new TopicRecord(topic.Name, topic.TopicId, topic.UncleanLeaderElection));
            foreach ((string name, string value) in topic.Configs)
                records.Add(new TopicConfigRecord(topic.TopicId, name, value));
            for (int p = 0; p < topic.Partitions.Length; p++)
            {
                var s = topic.Partitions[p];
                records.Add(new PartitionRecord(topic.TopicId, p, [.. s.Replicas], s.Leader, s.LeaderEpoch, [.. s.Isr], s.PartitionEpoch, [.. s.Elr]));
            }
        }
        return records;
    }

    /// <summary>A canonical text of the whole image, equal on two nodes exactly when their images are equal.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        foreach (var node in Nodes.Values)
            text.Append("node ").Append(node.NodeId).Append(" epoch=").Append(node.NodeEpoch).Append(' ').Append(node.Host).Append(':')
                .Append(node.Port).Append(node.Fenced ? " fenced" : " unfenced").Append('\n');
        foreach (var topic in Topics.Values)
        {
            text.Append("topic ").Append(topic.Name).Append(' ').Append(topic.TopicId).Append(topic.UncleanLeaderElection ? " unclean" : "").Append('\n');
            foreach ((string name, string value) in topic.Configs)
                text.Append("  config ").Append(name).Append('=').Append(value).Append('\n');
            for (int p = 0; p < topic.Partitions.Length; p++)
                text.Append("  ").Append(p).Append(' ').Append(topic.Partitions[p]).Append('\n');
        }
        return text.ToString();
    }

    private TopicRegistration? FindTopic(Guid topicId)
    {
        foreach (var topic in Topics.Values)
        {
            if (topic.TopicId == topicId)
                return topic;
        }
        return null;
    }

    private ClusterImage With(ImmutableSortedDictionary<int, NodeRegistration> nodes, ImmutableSortedDictionary<string, TopicRegistration> topics)
        => new(nodes, topics, Offset);
}
