using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace LogStore.Shared;

/// <summary>
/// Three Brokers in this process, each one node of a cluster on loopback TCP (Kafka listener and Raft controller on
/// ports the OS picked: bound to port 0, all kept bound until every one is chosen, then released), through the public
/// API only. A node's data directory (under the root given) survives <see cref="StopAsync"/>, so
/// <see cref="StartAsync(int, CancellationToken)"/> restarts it with its log. Every wait is bounded by
/// <see cref="WaitLimit"/> and the caller's token. Linked into the replication benchmark and the tool's tests.
/// </summary>
internal sealed class LoopbackCluster : IAsyncDisposable
{
    public const int Size = 3;

    /// <summary>The bound on any wait for the cluster to reach a state (a topic created, a leader, a full ISR).</summary>
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(60);

    // An attempt sent before a controller is elected may hang for the request timeout (30 s): each is cut short.
    private static readonly TimeSpan CreateAttempt = TimeSpan.FromSeconds(2);

    private readonly string[] _directories;
    private readonly Broker?[] _brokers = new Broker?[Size];
    private readonly Action<string>? _log;

    private LoopbackCluster(string root, int[] ports, Action<string>? log)
    {
        _log = log;
        _directories = [.. Enumerable.Range(0, Size).Select(i => Path.Combine(root, $"node{i}"))];
        Nodes = [.. Enumerable.Range(0, Size).Select(i => new ClusterNode(i, new IPEndPoint(IPAddress.Loopback, ports[2 * i]))
        {
            ControllerEndpoint = new IPEndPoint(IPAddress.Loopback, ports[2 * i + 1]),
        })];
    }

    public IReadOnlyList<ClusterNode> Nodes { get; }

    public Broker this[int node] => _brokers[node] ?? throw new InvalidOperationException($"Node {node} is stopped.");

    public bool IsRunning(int node) => _brokers[node] is not null;

    /// <summary>The node's Kafka listener as a client's bootstrap server.</summary>
    public string BootstrapServer(int node) => Nodes[node].Endpoint.ToString()!;

    public string DataDirectory(int node) => _directories[node];

    /// <summary>Starts the three nodes with their directories under <paramref name="root"/>; <paramref name="log"/> hears
    /// of a topic slow to create.</summary>
    public static async Task<LoopbackCluster> StartAsync(string root, CancellationToken cancellationToken, Action<string>? log = null)
    {
        var cluster = new LoopbackCluster(root, FreePorts(2 * Size), log);
        try
        {
            await Task.WhenAll(Enumerable.Range(0, Size).Select(i => cluster.StartAsync(i, cancellationToken)));
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
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

    /// <summary>Closes a node as a clean shutdown does (Broker.DisposeAsync); its directory stays.</summary>
    public async Task StopAsync(int node)
    {
        Broker? broker = _brokers[node];
        _brokers[node] = null;
        if (broker is not null)
            await broker.DisposeAsync();
    }

    /// <summary>
    /// Creates a topic through the controller, retrying while the cluster is still forming (no controller elected, a
    /// node not registered yet), and waits until every running node holds it and every partition has a leader with
    /// all its replicas in sync; returns the leader of partition 0.
    /// </summary>
    public async Task<int> CreateTopicAsync(string name, TopicConfig config, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        while (true)
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(CreateAttempt);
            try
            {
                await this[Enumerable.Range(0, Size).First(IsRunning)].CreateTopicAsync(name, config, attempt.Token);
                break;
            }
            catch (TopicExistsException)
            {
                // Names are unique in a run: an attempt cut short had reached the controller, or the controller channel
                // retried a create whose first attempt had committed (as Kafka's CreateTopics retry may answer too).
                break;
            }
            catch (Exception e) when (e is LogStoreException or OperationCanceledException && !cancellationToken.IsCancellationRequested
                && Stopwatch.GetElapsedTime(start) < WaitLimit)
            {
                await Task.Delay(20, cancellationToken);
            }
        }
        double created = Stopwatch.GetElapsedTime(start).TotalSeconds;
        for (int node = 0; node < Size; node++)
        {
            while (IsRunning(node) && !(this[node].TryGetTopic(name, out Topic? topic)
                && topic.Partitions.All(p => p.Leader is not null && p.InSyncReplicas.Count == config.ReplicationFactor)))
            {
                ThrowIfPast(start, $"Topic {name} had no leader with a full ISR on node {node}");
                await Task.Delay(5, cancellationToken);
            }
        }
        if (Stopwatch.GetElapsedTime(start) > TimeSpan.FromSeconds(1))
            _log?.Invoke($"topic {name}: created after {created:0.0} s, in sync after {Stopwatch.GetElapsedTime(start).TotalSeconds:0.0} s");
        return Leader(name, 0).Leader!.Value;
    }

    /// <summary>Waits until a running node leads partition 0 of <paramref name="topic"/> with
    /// <paramref name="inSync"/> replicas in sync; returns that node.</summary>
    public async Task<int> WaitForInSyncAsync(string topic, int inSync, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        while (true)
        {
            for (int node = 0; node < Size; node++)
            {
                if (Replica(node, topic) is { } p && p.Leader == node && p.InSyncReplicas.Count == inSync)
                    return node;
            }
            ThrowIfPast(start, $"No node led {topic} with {inSync} replicas in sync");
            await Task.Delay(5, cancellationToken);
        }
    }

    /// <summary>Waits until every running replica of <paramref name="topic"/>'s partition 0 holds the leader's whole log
    /// (what acks=leader left the followers to fetch), so that the next measurement does not share the machine with it.</summary>
    public async Task WaitForReplicasAsync(string topic, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        Partition leader = Leader(topic, 0);
        long end = leader.LogEndOffset;
        while (leader.Replicas.Any(n => Replica(n, topic) is { } replica && replica.LogEndOffset < end))
        {
            ThrowIfPast(start, $"The replicas of {topic} did not reach offset {end}");
            await Task.Delay(5, cancellationToken);
        }
    }

    /// <summary>The local replica of <paramref name="topic"/>'s partition on <paramref name="node"/>, once the node
    /// applied the topic's metadata; null before, or when the node is stopped.</summary>
    public Partition? Replica(int node, string topic, int partition = 0) =>
        _brokers[node] is { } broker && broker.TryGetTopic(topic, out Topic? t) ? t.Partitions[partition] : null;

    /// <summary>The partition on the node that leads it, as a running node's metadata names it.</summary>
    public Partition Leader(string topic, int partition)
    {
        Partition any = Enumerable.Range(0, Size).Select(n => Replica(n, topic, partition)).FirstOrDefault(p => p is not null)
            ?? throw new InvalidOperationException($"No running node knows {topic}.");
        int leader = any.Leader ?? throw new InvalidOperationException($"{topic}-{partition} has no leader.");
        return Replica(leader, topic, partition) ?? throw new InvalidOperationException($"Node {leader}, the leader of {topic}-{partition}, is stopped.");
    }

    public async ValueTask DisposeAsync()
    {
        for (int i = 0; i < Size; i++)
            await StopAsync(i);
    }

    private static void ThrowIfPast(long start, string what)
    {
        if (Stopwatch.GetElapsedTime(start) > WaitLimit)
            throw new TimeoutException($"{what} within {WaitLimit.TotalSeconds} s.");
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
