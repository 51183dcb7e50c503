using System.Net;
using LogStore.Cluster;
using LogStore.Cluster.Controller;
using LogStore.Cluster.Metadata;
using LogStore.Cluster.Node;
using LogStore.Network.Transport;
using LogStore.Storage.Replication;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Cluster.Nodes;

/// <summary>
/// Three Brokers in one process, each one node of a cluster, on the in-memory network: every node's Kafka listener
/// and controller reachable by the others, none by the outside. A node's directory survives <see cref="StopAsync"/>,
/// so <see cref="StartAsync"/> restarts it. Every wait is bounded by the caller's token.
/// </summary>
internal sealed class BrokerCluster : IAsyncDisposable
{
    public const int Size = 3;

    private readonly TempDirectory[] _directories = [new(), new(), new()];
    private readonly Broker?[] _brokers = new Broker?[Size];
    // Each node's controller from its start until its broker is disposed: a stopping node's controller may still be
    // the active one, and its own controlled shutdown and the others' heartbeats must reach it meanwhile.
    private readonly QuorumController?[] _controllers = new QuorumController?[Size];
    private readonly Func<BrokerCluster, int, Broker, IFollowerFetchers>? _fetchers;
    private readonly TimeSpan? _replicaLagTime;
    private readonly Func<int, PeerTlsOptions>? _peerTls;
    private readonly KafkaListenerSaslOptions? _listenerSasl;

    /// <param name="fetchers">Replaces each node's fetchers; null: the Kafka-protocol ones.</param>
    /// <param name="replicaLagTime">Each node's replica lag time; null: the default.</param>
    /// <param name="peerTls">Each node's peer TLS; when set, the Kafka listeners run TLS and the nodes reach the
    /// controller over the Kafka protocol (RemoteControllerChannel), so that every inter-node byte crosses TLS.</param>
    /// <param name="listenerSasl">SASL required on every node's Kafka listener (with <paramref name="peerTls"/>).</param>
    public BrokerCluster(Func<BrokerCluster, int, Broker, IFollowerFetchers>? fetchers = null, TimeSpan? replicaLagTime = null,
        Func<int, PeerTlsOptions>? peerTls = null, KafkaListenerSaslOptions? listenerSasl = null)
    {
        _listenerSasl = listenerSasl;
        _fetchers = fetchers;
        _replicaLagTime = replicaLagTime;
        _peerTls = peerTls;
        Nodes = [.. Enumerable.Range(0, Size).Select(i => new ClusterNode(i, new IPEndPoint(IPAddress.Loopback, 29092 + 10 * i)))];
        // A node's Kafka listener and controller are one host, so a network fault hits the whole node.
        foreach (ClusterNode node in Nodes)
            Network.DefineHost(Host(node.NodeId), node.Endpoint, node.ResolvedControllerEndpoint);
    }

    public InMemoryNetwork Network { get; } = new();

    /// <summary>Every node's log entries, when the cluster runs peer TLS (the tests of refusals read them; others keep
    /// no logs, which would only cost).</summary>
    public Diagnostics.CapturingLoggerFactory Logs { get; } = new();

    public IReadOnlyList<ClusterNode> Nodes { get; }

    // Debugging aid: every node logs, and the entries are appended to this file when the cluster is disposed.
    private static readonly string? DumpLogsTo = Environment.GetEnvironmentVariable("LOGSTORE_CLUSTER_LOG");

    public Broker this[int node] => _brokers[node] ?? throw new InvalidOperationException($"Node {node} is stopped.");

    public IEnumerable<Broker> Running => _brokers.Where(b => b is not null)!;

    /// <summary>The name of <paramref name="node"/>'s host on <see cref="Network"/>, for its faults.</summary>
    public static string Host(int node) => $"node{node}";

    public static async Task<BrokerCluster> StartAllAsync(CancellationToken cancellationToken,
        Func<BrokerCluster, int, Broker, IFollowerFetchers>? fetchers = null, TimeSpan? replicaLagTime = null, Func<int, PeerTlsOptions>? peerTls = null,
        KafkaListenerSaslOptions? listenerSasl = null)
    {
        var cluster = new BrokerCluster(fetchers, replicaLagTime, peerTls, listenerSasl);
        await Task.WhenAll(Enumerable.Range(0, Size).Select(i => cluster.StartAsync(i, cancellationToken)));
        return cluster;
    }

    public async Task StartAsync(int node, CancellationToken cancellationToken)
    {
        _brokers[node] = await Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = _directories[node].Path,
            KafkaListener = new KafkaListenerOptions
            {
                Endpoint = Nodes[node].Endpoint,
                AutoCreateTopics = false,
                Tls = _peerTls is null ? null : new KafkaListenerTlsOptions { ServerCertificate = LogStore.Tests.Network.TestCertificates.Server },
                Sasl = _listenerSasl,
            },
            KafkaTransport = Network,
            LoggerFactory = _peerTls is null && DumpLogsTo is null ? null : Logs,
            Replication = new ReplicationOptions
            {
                NodeId = node,
                Nodes = Nodes,
                ControllerTransport = Network,
                ConnectionFactory = Network.For(Nodes[node].Endpoint),
                ControllerChannelFactory = _peerTls is null ? controller => Serve(node, controller) : null,
                PeerTls = _peerTls?.Invoke(node),
                FollowerFetchersFactory = _fetchers is null ? null : b => _fetchers(this, node, b),
                ReplicaLagTime = _replicaLagTime ?? TimeSpan.FromSeconds(30), // the default unless a test shortens it
            },
        }, cancellationToken);
    }

    /// <summary>Stops a node as a clean close does; its directory stays.</summary>
    public async Task StopAsync(int node)
    {
        Broker? broker = _brokers[node];
        _brokers[node] = null;
        if (broker is not null)
            await broker.DisposeAsync();
        Volatile.Write(ref _controllers[node], null);
    }

    private QuorumController? ActiveController()
    {
        for (int node = 0; node < Size; node++)
        {
            try
            {
                if (Volatile.Read(ref _controllers[node]) is { IsActive: true } active)
                    return active;
            }
            catch (ObjectDisposedException)
            {
                // Its broker is being disposed.
            }
        }
        return null;
    }

    private DirectControllerChannel Serve(int node, QuorumController controller)
    {
        Volatile.Write(ref _controllers[node], controller);
        return new DirectControllerChannel(this);
    }

    /// <summary>Waits until every running node applied an image satisfying <paramref name="ready"/>.</summary>
    public Task WaitForAllAsync(Func<ClusterImage, bool> ready, CancellationToken cancellationToken) =>
        Task.WhenAll(Running.Select(b => b.ClusterServices!.Publisher.WaitForAsync(ready, cancellationToken)));

    /// <summary>The replica of <paramref name="partition"/> on <paramref name="node"/>.</summary>
    public PartitionReplica Replica(int node, TopicPartition partition)
    {
        Assert.That(this[node].TryGetTopic(partition.Topic, out Topic? topic), Is.True, $"node {node} holds no topic {partition.Topic}");
        return topic!.Partitions[partition.Partition].Replica;
    }

    public async ValueTask DisposeAsync()
    {
        for (int i = 0; i < Size; i++)
            await StopAsync(i);
        foreach (TempDirectory directory in _directories)
            directory.Dispose();
        if (DumpLogsTo is not null)
        {
            var lines = new List<string> { $"==== {TestContext.CurrentContext.Test.FullName}" };
            lines.AddRange(Logs.Entries.Select(e => $"{e.At:HH:mm:ss.fff} {e.Category} {e.Level} {e.EventId.Id} {e.Message} {e.Exception?.GetType().Name}"));
            File.AppendAllLines(DumpLogsTo, lines);
        }
    }

    /// <summary>Sends each command to whichever node's controller is active, in process.</summary>
    private sealed class DirectControllerChannel(BrokerCluster cluster) : IControllerChannel
    {
        public async ValueTask<NodeRegistration> RegisterNodeAsync(int nodeId, long nodeEpoch, string host, int port, bool cleanShutdown,
            CancellationToken cancellationToken) =>
            await OnActiveAsync(c => c.RegisterNodeAsync(nodeId, nodeEpoch, host, port, cleanShutdown, cancellationToken), cancellationToken);

        public async ValueTask HeartbeatAsync(int nodeId, long nodeEpoch, CancellationToken cancellationToken) =>
            await OnActiveAsync(async c => { await c.HeartbeatAsync(nodeId, nodeEpoch, cancellationToken); return true; }, cancellationToken);

        public async ValueTask<bool> ControlledShutdownAsync(int nodeId, long nodeEpoch, CancellationToken cancellationToken) =>
            await OnActiveAsync(c => c.ControlledShutdownAsync(nodeId, nodeEpoch, cancellationToken), cancellationToken);

        public async ValueTask<PartitionRegistration> AlterPartitionAsync(TopicPartition partition, int leaderId, int leaderEpoch, int partitionEpoch,
            IReadOnlyList<int> newIsr, CancellationToken cancellationToken) =>
            await OnActiveAsync(c => c.AlterPartitionAsync(partition, leaderId, leaderEpoch, partitionEpoch, newIsr, cancellationToken), cancellationToken);

        public async ValueTask<TopicRegistration> CreateTopicAsync(string name, int partitions, int replicationFactor, bool uncleanLeaderElection,
            IReadOnlyList<(string Name, string Value)> configs, CancellationToken cancellationToken) =>
            await OnActiveAsync(c => c.CreateTopicAsync(name, partitions, replicationFactor, uncleanLeaderElection, configs, cancellationToken), cancellationToken);

        private async Task<T> OnActiveAsync<T>(Func<QuorumController, ValueTask<T>> command, CancellationToken cancellationToken)
        {
            while (true)
            {
                QuorumController? active = cluster.ActiveController();
                if (active is not null)
                {
                    try
                    {
                        return await command(active);
                    }
                    catch (Exception e) when (e is NotControllerException or ObjectDisposedException)
                    {
                    }
                }
                await Task.Delay(10, cancellationToken);
            }
        }
    }

    /// <summary>Fetches nothing: for tests of the control plane alone.</summary>
    internal sealed class NoFetchers : IFollowerFetchers
    {
        public void Follow(PartitionReplica replica, int leaderId, int leaderEpoch)
        {
        }

        public void Unfollow(PartitionReplica replica)
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
