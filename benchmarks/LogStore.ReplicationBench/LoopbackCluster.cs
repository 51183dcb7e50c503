using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace LogStore.ReplicationBench;

/// <summary>
/// Three Brokers in this process, each one node of a cluster on loopback TCP (Kafka listener and Raft controller on
/// ports the OS picked: bound to port 0, all kept bound until every one is chosen, then released). A node's data
/// directory survives <see cref="StopAsync"/>, so <see cref="StartAsync"/> restarts it with its log. Every wait is
/// bounded by <see cref="WaitLimit"/>.
/// </summary>
internal sealed class LoopbackCluster : IAsyncDisposable
{
    public const int Size = 3;

    /// <summary>The bound on any wait for the cluster to reach a state (a leader, a full ISR).</summary>
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(60);

    private readonly string[] _directories;
    private readonly Broker?[] _brokers = new Broker?[Size];

    private LoopbackCluster(string root, int[] ports)
    {
        _directories = [.. Enumerable.Range(0, Size).Select(i => Path.Combine(root, $"node{i}"))];
        Nodes = [.. Enumerable.Range(0, Size).Select(i => new ClusterNode(i, new IPEndPoint(IPAddress.Loopback, ports[2 * i]))
        {
            ControllerEndpoint = new IPEndPoint(IPAddress.Loopback, ports[2 * i + 1]),
        })];
    }

    public IReadOnlyList<ClusterNode> Nodes { get; }

    public Broker this[int node] => _brokers[node] ?? throw new InvalidOperationException($"Node {node} is stopped.");

    public bool IsRunning(int node) => _brokers[node] is not null;

    public static async Task<LoopbackCluster> StartAsync(string root, CancellationToken cancellationToken)
    {
        var cluster = new LoopbackCluster(root, FreePorts(2 * Size));
        await Task.WhenAll(Enumerable.Range(0, Size).Select(i => cluster.StartAsync(i, cancellationToken)));
        return cluster;
    }

    public async Task StartAsync(int node, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_directories[node]);
        _brokers[node] = await Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = _directories[node],
            KafkaListener = new KafkaListenerOptions { Endpoint = Nodes[node].Endpoint, AutoCreateTopics = false },
            Replication = new ReplicationOptions { NodeId = node, Nodes = Nodes },
        }, cancellationToken);
    }

    /// <summary>Closes a node (Broker.DisposeAsync); its directory stays.</summary>
    public async Task StopAsync(int node)
    {
        Broker? broker = _brokers[node];
        _brokers[node] = null;
        if (broker is not null)
            await broker.DisposeAsync();
    }

    /// <summary>Creates a one-partition topic through the controller and waits until its leader sees every replica in
    /// sync; returns the leader's node id.</summary>
    public async Task<int> CreateTopicAsync(string name, int replicationFactor, int minInSyncReplicas, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        while (true)
        {
            int any = Enumerable.Range(0, Size).First(IsRunning);
            try
            {
                await this[any].CreateTopicAsync(name, new TopicConfig
                {
                    Partitions = 1,
                    ReplicationFactor = replicationFactor,
                    MinInSyncReplicas = minInSyncReplicas,
                }, cancellationToken);
                break;
            }
            catch (TopicExistsException)
            {
                // Names are unique in a run: the controller channel retried a create whose first attempt had committed
                // (while the controller quorum was still settling), as Kafka's CreateTopics retry may answer too.
                break;
            }
            catch (InvalidReplicationFactorException) when (Stopwatch.GetElapsedTime(start) < WaitLimit)
            {
                // A node just (re)started has not registered with the controller yet.
                await Task.Delay(20, cancellationToken);
            }
        }
        double created = Stopwatch.GetElapsedTime(start).TotalSeconds;
        int leader = await WaitForInSyncAsync(name, replicationFactor, cancellationToken);
        if (Stopwatch.GetElapsedTime(start) > TimeSpan.FromSeconds(1))
            Report.Log($"topic {name}: created after {created:0.0} s, in sync after {Stopwatch.GetElapsedTime(start).TotalSeconds:0.0} s");
        return leader;
    }

    /// <summary>Waits until a running node leads partition 0 of <paramref name="topic"/> with
    /// <paramref name="inSync"/> replicas in sync; returns that node.</summary>
    public async Task<int> WaitForInSyncAsync(string topic, int inSync, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(start) < WaitLimit)
        {
            for (int node = 0; node < Size; node++)
            {
                if (_brokers[node] is { } broker && broker.TryGetTopic(topic, out Topic? t)
                    && t.Partitions[0] is { } p && p.Leader == node && p.InSyncReplicas.Count == inSync)
                    return node;
            }
            await Task.Delay(5, cancellationToken);
        }
        throw new TimeoutException($"No node led {topic} with {inSync} replicas in sync within {WaitLimit.TotalSeconds} s.");
    }

    /// <summary>The local replica of <paramref name="topic"/>'s partition 0 on <paramref name="node"/>, once the node
    /// applied the topic's metadata; null before.</summary>
    public Partition? Replica(int node, string topic) =>
        _brokers[node] is { } broker && broker.TryGetTopic(topic, out Topic? t) ? t.Partitions[0] : null;

    public async ValueTask DisposeAsync()
    {
        for (int i = 0; i < Size; i++)
            await StopAsync(i);
    }

    private static int[] FreePorts(int count)
    {
        var sockets = new List<Socket>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(socket);
                socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            }
            return [.. sockets.Select(s => ((IPEndPoint)s.LocalEndPoint!).Port)];
        }
        finally
        {
            foreach (Socket socket in sockets)
                socket.Dispose();
        }
    }
}
