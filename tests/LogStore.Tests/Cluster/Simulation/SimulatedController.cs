using LogStore.Cluster;
using LogStore.Cluster.Controller;
using LogStore.Cluster.Metadata;
using LogStore.Cluster.Records;

namespace LogStore.Tests.Cluster.Simulation;

/// <summary>
/// The simulation's controller: the same decisions as the Raft controller (<see cref="ControllerDecisions"/>), applied
/// at once under one lock instead of through Raft, so a history's control plane is a function of its steps. Each node
/// sees it through <see cref="For"/>: a metadata view that receives every new image (unless the node is cut off, when
/// it keeps its last one, as a partitioned broker does) and a channel that fails with <see cref="NetworkException"/>
/// while cut off. Sessions are the simulation's: it fences a node by <see cref="Fence"/>, never a timer. Thread-safe.
/// </summary>
internal sealed class SimulatedController
{
    private readonly Lock _lock = new();
    private readonly Dictionary<int, NodeView> _views = [];
    private readonly HashSet<int> _cutOff = [];
    private ClusterImage _image = ClusterImage.Empty;

    public ClusterImage Image
    {
        get
        {
            lock (_lock)
                return _image;
        }
    }

    /// <summary>Node <paramref name="nodeId"/>'s view and channel; a restarted node gets a fresh view of the current image.</summary>
    public (IClusterMetadata Metadata, IControllerChannel Channel) For(int nodeId)
    {
        lock (_lock)
        {
            var view = new NodeView(this, _image);
            _views[nodeId] = view;
            return (view, new Channel(this, nodeId));
        }
    }

    /// <summary>Cuts <paramref name="nodeId"/> off the controller (its channel fails, its view stops changing) or
    /// reconnects it (its view catches up at once).</summary>
    public void SetCutOff(int nodeId, bool cutOff)
    {
        NodeView? view;
        ClusterImage image;
        lock (_lock)
        {
            if (cutOff)
                _cutOff.Add(nodeId);
            else
                _cutOff.Remove(nodeId);
            view = cutOff ? null : _views.GetValueOrDefault(nodeId);
            image = _image;
        }
        view?.Publish(image);
    }

    public bool IsCutOff(int nodeId)
    {
        lock (_lock)
            return _cutOff.Contains(nodeId);
    }

    /// <summary>Fences <paramref name="nodeId"/> as an expired session does: its leaderships move to live ISR members.</summary>
    public void Fence(int nodeId) => Decide(-1, image => image.Nodes.TryGetValue(nodeId, out var node) && !node.Fenced
        ? ControllerDecisions.Fence(image, [node]) : []);

    /// <summary>Applies what <paramref name="decide"/> returns (it throws to refuse) and publishes the new image to every
    /// node not cut off; <paramref name="fromNode"/> (-1 for the simulation itself) fails when cut off.</summary>
    public ClusterImage Decide(int fromNode, Func<ClusterImage, List<MetadataRecord>> decide)
    {
        List<NodeView> targets;
        ClusterImage image;
        lock (_lock)
        {
            if (fromNode >= 0 && _cutOff.Contains(fromNode))
                throw new NetworkException($"node {fromNode} cannot reach the controller");
            List<MetadataRecord> records = decide(_image);
            if (records.Count == 0)
                return _image;
            image = _image;
            foreach (MetadataRecord record in records)
                image = image.Apply(record);
            _image = image = image.WithOffset(image.Offset + 1);
            targets = [.. _views.Where(v => !_cutOff.Contains(v.Key)).Select(v => v.Value)];
        }
        foreach (NodeView view in targets)
            view.Publish(image);
        return image;
    }

    private sealed class NodeView(SimulatedController controller, ClusterImage initial) : IClusterMetadata
    {
        private readonly Lock _publishLock = new();
        private ClusterImage _image = initial;

        public ClusterImage Image => Volatile.Read(ref _image);

        public event Action<ClusterImage>? Changed;

        public void Publish(ClusterImage image)
        {
            // In order, each image once: a view never goes back to an older image.
            lock (_publishLock)
            {
                if (image.Offset <= _image.Offset)
                    return;
                Volatile.Write(ref _image, image);
                Changed?.Invoke(image);
            }
        }

        public ValueTask<PartitionRegistration> ElectLeaderAsync(TopicPartition partition, int? preferredLeader, CancellationToken cancellationToken = default)
        {
            ClusterImage image = controller.Decide(-1, i => ControllerDecisions.ElectLeader(i, partition, preferredLeader));
            return ValueTask.FromResult(image.GetPartition(partition)!);
        }
    }

    private sealed class Channel(SimulatedController controller, int nodeId) : IControllerChannel
    {
        public ValueTask<NodeRegistration> RegisterNodeAsync(int node, long nodeEpoch, string host, int port, bool cleanShutdown,
            CancellationToken cancellationToken) =>
            ValueTask.FromResult(controller.Decide(nodeId, i => ControllerDecisions.RegisterNode(i, node, nodeEpoch, host, port, cleanShutdown)).Nodes[node]);

        public ValueTask HeartbeatAsync(int node, long nodeEpoch, CancellationToken cancellationToken)
        {
            controller.Decide(nodeId, i => ControllerDecisions.Heartbeat(i, node, nodeEpoch));
            return ValueTask.CompletedTask;
        }

        public ValueTask<PartitionRegistration> AlterPartitionAsync(TopicPartition partition, int leaderId, int leaderEpoch, int partitionEpoch,
            IReadOnlyList<int> newIsr, CancellationToken cancellationToken) =>
            ValueTask.FromResult(controller.Decide(nodeId, i => ControllerDecisions.AlterPartition(i, partition, leaderId, leaderEpoch, partitionEpoch, newIsr))
                .GetPartition(partition)!);

        public ValueTask<TopicRegistration> CreateTopicAsync(string name, int partitions, int replicationFactor, bool uncleanLeaderElection,
            IReadOnlyList<(string Name, string Value)> configs, CancellationToken cancellationToken)
        {
            Guid id = ControllerDecisions.NewTopicId();
            return ValueTask.FromResult(controller.Decide(nodeId, i => ControllerDecisions.CreateTopic(i, name, partitions, replicationFactor,
                uncleanLeaderElection, configs, id)).Topics[name]);
        }
    }
}
