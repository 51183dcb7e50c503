using System.Net;
using LogStore.Cluster.Channels;
using LogStore.Cluster.Controller;
using LogStore.Cluster.Metadata;
using LogStore.Network.Transport;
using LogStore.Tests.Cluster.Nodes;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Cluster;

/// <summary>
/// Three Brokers in cluster mode on one in-memory network, each with a Raft controller voter whose Kafka listener
/// serves the controller APIs, and a <see cref="RemoteControllerChannel"/> as its way to the active controller: the
/// nodes' own registrations and heartbeats (every 500 ms; a node silent for 2 s is fenced) cross it. With
/// <c>localShortcut</c> off, every command crosses the network, the active controller's own node's included. Node ids
/// are the indexes 0–2. Real clocks; every wait is bounded by the caller's token.
/// </summary>
internal sealed class ControllerChannelCluster : IAsyncDisposable
{
    public const int Size = 3;

    private readonly TempDirectory[] _directories = [new(), new(), new()];
    private readonly Broker?[] _brokers = new Broker?[Size];

    private ControllerChannelCluster() =>
        Nodes = [.. Enumerable.Range(0, Size).Select(i => new ClusterNode(i, new IPEndPoint(IPAddress.Loopback, 29192 + 10 * i)))];

    public InMemoryNetwork Network { get; } = new();

    public IReadOnlyList<ClusterNode> Nodes { get; }

    public IEnumerable<int> Running => Enumerable.Range(0, Size).Where(i => _brokers[i] is not null);

    public Broker Broker(int node) => _brokers[node] ?? throw new InvalidOperationException($"Node {node} is stopped.");

    public RemoteControllerChannel Channel(int node) => (RemoteControllerChannel)Broker(node).ClusterServices!.Channel;

    public QuorumController Controller(int node) => Broker(node).Controller!;

    /// <summary>The epoch node <paramref name="node"/> registered with.</summary>
    public long NodeEpoch(int node) => Broker(node).ClusterServices!.Lifecycle.NodeEpoch;

    /// <summary>Starts the three nodes; with <paramref name="defaultChannel"/>, each with the channel a Broker makes
    /// itself (<see cref="RemoteControllerChannel.ForNode"/>) instead of the test's.</summary>
    public static async Task<ControllerChannelCluster> StartAsync(bool localShortcut, CancellationToken cancellationToken, bool defaultChannel = false)
    {
        var cluster = new ControllerChannelCluster();
        try
        {
            await Task.WhenAll(Enumerable.Range(0, Size).Select(i => cluster.StartNodeAsync(i, localShortcut, defaultChannel, cancellationToken)));
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    private async Task StartNodeAsync(int node, bool localShortcut, bool defaultChannel, CancellationToken cancellationToken)
    {
        _brokers[node] = await LogStore.Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = _directories[node].Path,
            KafkaListener = new KafkaListenerOptions { Endpoint = Nodes[node].Endpoint, AutoCreateTopics = false },
            KafkaTransport = Network,
            Replication = new ReplicationOptions
            {
                NodeId = node,
                Nodes = Nodes,
                ControllerTransport = Network,
                ConnectionFactory = Network.For(Nodes[node].Endpoint),
                ControllerChannelFactory = defaultChannel ? null : controller => new RemoteControllerChannel(new RemoteControllerChannelOptions
                {
                    NodeId = node,
                    KafkaEndpoints = Nodes.ToDictionary(n => n.NodeId, n => (EndPoint)n.Endpoint),
                    ControllerEndpoints = Nodes.ToDictionary(n => n.NodeId, n => (EndPoint)n.ResolvedControllerEndpoint),
                    ConnectionFactory = Network.For(Nodes[node].Endpoint),
                    LocalController = localShortcut ? controller : null,
                    ActiveController = () => controller.ActiveController,
                    Metadata = controller,
                    RetryBackoff = TimeSpan.FromMilliseconds(20),
                    MaxRetryBackoff = TimeSpan.FromMilliseconds(200),
                    Timeout = TimeSpan.FromSeconds(20),
                }),
                FollowerFetchersFactory = _ => new BrokerCluster.NoFetchers(),
            },
        }, cancellationToken);
    }

    /// <summary>The running node whose controller is active, once one is and every running node names it.</summary>
    public async Task<int> WaitForActiveAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var active = Running.Where(i => Controller(i).IsActive).ToList();
            if (active.Count == 1 && Running.All(i => Equals(Controller(i).ActiveController, Controller(active[0]).EndPoint)))
                return active[0];
            await Task.Delay(10, cancellationToken);
        }
    }

    /// <summary>Waits until every running node's image satisfies <paramref name="ready"/>; on timeout, fails with them.</summary>
    public async Task WaitForAllAsync(Func<ClusterImage, bool> ready, CancellationToken cancellationToken)
    {
        try
        {
            while (!Running.All(i => ready(Controller(i).Image)))
                await Task.Delay(10, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail("the images never got there:\n" + string.Join("\n--\n", Running.Select(i => Controller(i).Image.Describe())));
        }
    }

    /// <summary>Stops a node as a clean close does: its heartbeats, channel, listener and controller.</summary>
    public async Task StopNodeAsync(int node)
    {
        Broker? broker = _brokers[node];
        _brokers[node] = null;
        if (broker is not null)
            await broker.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        for (int i = 0; i < Size; i++)
            await StopNodeAsync(i);
        foreach (TempDirectory directory in _directories)
            directory.Dispose();
    }
}
