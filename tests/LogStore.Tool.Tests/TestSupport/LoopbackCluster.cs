using System.Globalization;
using System.Net;
using LogStore.Tests.TestSupport;

namespace LogStore.Tool.Tests.TestSupport;

/// <summary>
/// Three Brokers in this process, each one node of a cluster on loopback TCP (Kafka listener on an OS-picked port, its
/// controller on the next), through the public API only: cheaper than <see cref="ServedCluster"/>'s processes, and
/// reachable by the tool's <c>--bootstrap-server</c>. A node's directory outlives <see cref="StopAsync"/>. Every wait
/// is bounded by the caller's token.
/// </summary>
public sealed class LoopbackCluster : IAsyncDisposable
{
    public const int Size = 3;

    private readonly TempDirectory[] _data = [new(), new(), new()];
    private readonly Broker?[] _brokers = new Broker?[Size];

    private LoopbackCluster(int[] ports)
    {
        Nodes = [.. Enumerable.Range(0, Size).Select(i => new ClusterNode(i, new IPEndPoint(IPAddress.Loopback, ports[i])))];
    }

    public IReadOnlyList<ClusterNode> Nodes { get; }

    public string BootstrapServer(int node) => Nodes[node].Endpoint.ToString();

    public string DataDirectory(int node) => _data[node].Path;

    public Broker this[int node] => _brokers[node] ?? throw new InvalidOperationException($"Node {node} is stopped.");

    public static async Task<LoopbackCluster> StartAsync(CancellationToken cancellationToken)
    {
        var cluster = new LoopbackCluster(LoopbackPorts.PickPairs(Size));
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

    public async Task StartAsync(int node, CancellationToken cancellationToken) =>
        _brokers[node] = await Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = _data[node].Path,
            KafkaListener = new KafkaListenerOptions { Endpoint = Nodes[node].Endpoint, AutoCreateTopics = false },
            Replication = new ReplicationOptions { NodeId = node, Nodes = Nodes },
        }, cancellationToken);

    /// <summary>Closes a node as a clean shutdown does; its directory stays.</summary>
    public async Task StopAsync(int node)
    {
        Broker? broker = _brokers[node];
        _brokers[node] = null;
        if (broker is not null)
            await broker.DisposeAsync();
    }

    /// <summary>Creates a topic of three replicas through the controller, retrying while the cluster is still forming
    /// (no controller elected, nodes not registered yet), and waits until every running node holds it with a leader and
    /// a full ISR.</summary>
    public async Task CreateTopicAsync(string name, int partitions, CancellationToken cancellationToken)
    {
        // An attempt sent before a controller is elected may hang for the request timeout (30 s): each is cut at 2 s, and
        // one that did reach the controller before its cut makes the next answer TopicExists.
        while (true)
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(TimeSpan.FromSeconds(2));
            try
            {
                await this[0].CreateTopicAsync(name, new TopicConfig { Partitions = partitions, ReplicationFactor = Size }, attempt.Token);
                break;
            }
            catch (TopicExistsException)
            {
                break;
            }
            catch (Exception e) when (e is LogStoreException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(50, cancellationToken);
            }
        }
        for (int node = 0; node < Size; node++)
        {
            while (!(this[node].TryGetTopic(name, out Topic? topic) && topic.Partitions.All(p => p.Leader is not null && p.InSyncReplicas.Count == Size)))
                await Task.Delay(20, cancellationToken);
        }
    }

    /// <summary>The partition on its leader's node.</summary>
    public Partition Leader(string topic, int partition)
    {
        this[0].TryGetTopic(topic, out Topic? any);
        int leader = any!.Partitions[partition].Leader ?? throw new InvalidOperationException($"{topic}-{partition} has no leader");
        this[leader].TryGetTopic(topic, out Topic? led);
        return led!.Partitions[partition];
    }

    /// <summary>Appends <paramref name="count"/> one-record batches to the leader and waits for the high watermark to
    /// reach them (every replica fetched them).</summary>
    public async Task AppendAsync(string topic, int partition, int count, CancellationToken cancellationToken)
    {
        Partition leader = Leader(topic, partition);
        long target = leader.LogEndOffset + count;
        for (int i = 0; i < count; i++)
        {
            using var builder = new RecordBatchBuilder();
            builder.Append(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), null, System.Text.Encoding.UTF8.GetBytes(i.ToString(CultureInfo.InvariantCulture)));
            await leader.AppendAsync(builder.Build(), cancellationToken);
        }
        while (leader.HighWatermark < target)
            await Task.Delay(10, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        for (int i = 0; i < Size; i++)
            await StopAsync(i);
        foreach (TempDirectory directory in _data)
            directory.Dispose();
    }
}
