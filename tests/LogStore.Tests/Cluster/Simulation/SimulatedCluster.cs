using System.Buffers;
using System.Net;
using System.Text;
using LogStore.Network.Client;
using LogStore.Network.Transport;
using LogStore.Protocol;
using LogStore.Storage.Replication;
using LogStore.Storage.Replication.Fetching;
using LogStore.Tests.Reliability;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Cluster.Simulation;

/// <summary>
/// Three nodes in one process for the replication simulation: each a Broker on its own data directory written through
/// a <see cref="PowerLossFileSystem"/>, its Kafka listener on one in-memory network, its control plane the shared
/// <see cref="SimulatedController"/>, and one fake clock for all. A node can be killed (its directory as it is, a
/// process crash: the page cache survives), lose power (only what it fsynced, torn), be cut off the network, and be
/// restarted from what the failure left.
/// </summary>
internal sealed class SimulatedCluster : IAsyncDisposable
{
    public const int Size = 3;
    public const string Topic = "sim";

    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxJump = TimeSpan.FromSeconds(5);

    private readonly TempDirectory?[] _directories = new TempDirectory?[Size];
    private readonly PowerLossFileSystem?[] _files = new PowerLossFileSystem?[Size];
    private readonly Broker?[] _brokers = new Broker?[Size];
    private readonly bool _flushBeforeAcknowledge;

    public SimulatedCluster(bool flushBeforeAcknowledge, int seed)
    {
        _flushBeforeAcknowledge = flushBeforeAcknowledge;
        // Delays run on the simulation's clock, drawn from the history's seed: a delayed chunk moves when time does.
        Network = new InMemoryNetwork { TimeProvider = Time, Seed = seed };
        Log = new SimulationLog(Time);
        Nodes = [.. Enumerable.Range(0, Size).Select(i => new ClusterNode(i, new IPEndPoint(IPAddress.Loopback, 39092 + 10 * i)))];
    }

    public InMemoryNetwork Network { get; }

    public SimulatedController Controller { get; } = new();

    public SimulationClock Time { get; } = new(DateTimeOffset.UnixEpoch.AddDays(20_000));

    /// <summary>What the nodes logged, for a failed history's message.</summary>
    public SimulationLog Log { get; }

    /// <summary>The host name the network knows <paramref name="node"/> by, for its host-wide faults.</summary>
    public string HostOf(int node) => Network.HostOf(Nodes[node].Endpoint);

    public IReadOnlyList<ClusterNode> Nodes { get; }

    public bool IsRunning(int node) => _brokers[node] is not null;

    public Broker this[int node] => _brokers[node] ?? throw new InvalidOperationException($"node {node} is down");

    public IEnumerable<int> RunningNodes => Enumerable.Range(0, Size).Where(IsRunning);

    public async Task StartAsync(int node, CancellationToken cancellationToken)
    {
        _directories[node] ??= new TempDirectory();
        string path = _directories[node]!.Path;
        _files[node] = new PowerLossFileSystem(path);
        _brokers[node] = await Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = path,
            FileSystem = _files[node]!,
            TimeProvider = Time,
            LoggerFactory = Log.For(node),
            KafkaListener = new KafkaListenerOptions { Endpoint = Nodes[node].Endpoint, AutoCreateTopics = false },
            KafkaTransport = Network,
            Replication = new ReplicationOptions
            {
                NodeId = node,
                Nodes = Nodes,
                FlushBeforeAcknowledge = _flushBeforeAcknowledge,
                ReplicaLagTime = TimeSpan.FromSeconds(10),
                RequestTimeout = TimeSpan.FromSeconds(5),
                ConnectionFactory = Network.For(Nodes[node].Endpoint),
                ControlPlaneFactory = _ => Controller.For(node),
            },
        }, cancellationToken);
    }

    /// <summary>Stops a node the way <paramref name="failure"/> says and keeps what it leaves on disk for its restart.</summary>
    public async Task FailAsync(int node, NodeFailure failure, Random random)
    {
        Broker broker = this[node];
        _brokers[node] = null;
        Network.Isolate(Nodes[node].Endpoint);
        var image = new TempDirectory();
        if (failure == NodeFailure.PowerLoss)
            _files[node]!.WriteImage(image.Path, random, torn: true, PowerLossFileSystem.Entries.RandomPrefix);
        else
            CopyDirectory(_directories[node]!.Path, image.Path);
        // What the broker does from here never reaches the image it restarts from.
        await CloseAsync(broker);
        _directories[node]!.Dispose();
        _directories[node] = image;
        Network.Heal(Nodes[node].Endpoint);
    }

    /// <summary>A Kafka-protocol connection to <paramref name="node"/>'s listener, as a producer outside the cluster.</summary>
    public ValueTask<KafkaClientConnection> ConnectAsync(int node, CancellationToken cancellationToken) =>
        KafkaClientConnection.ConnectAsync(Network, Nodes[node].Endpoint, "simulation", 16 << 20, TimeProvider.System, cancellationToken);

    /// <summary>Produce with acks=all of one batch to partition 0 through <paramref name="connection"/>.</summary>
    public static async Task<ProduceResponse.PartitionResponse> ProduceAsync(KafkaClientConnection connection, byte[] batch, CancellationToken cancellationToken)
    {
        var request = new ProduceRequest
        {
            Acks = -1,
            TimeoutMs = 5_000,
            Topics = [new ProduceRequest.TopicData { Name = Topic, Partitions = [new ProduceRequest.PartitionData { Index = 0, Records = new ReadOnlySequence<byte>(batch) }] }],
        };
        ProduceResponse response = await connection.SendAsync<ProduceRequest, ProduceResponse>(request, 9, TimeSpan.FromSeconds(10), cancellationToken);
        return response.Topics[0].Partitions[0];
    }

    /// <summary>Closes a broker while the fake clock moves on: requests it drains wait on that clock (a fetch's long
    /// poll, an acks=all produce), and nothing else would advance it.</summary>
    private async Task CloseAsync(Broker broker)
    {
        Task closing = broker.DisposeAsync().AsTask();
        await TickUntilAsync(() => closing.IsCompleted, TimeSpan.FromSeconds(60), CancellationToken.None, closing);
        await closing;
    }

    /// <summary>Ticks (<see cref="TickAsync"/>) until <paramref name="done"/> holds or <paramref name="bound"/> of real
    /// time has passed; returns whether it holds. <paramref name="awaited"/>, when given, ends each tick's real wait early.</summary>
    public async Task<bool> TickUntilAsync(Func<bool> done, TimeSpan bound, CancellationToken cancellationToken, Task? awaited = null)
    {
        var deadline = DateTime.UtcNow + bound;
        while (!done())
        {
            if (DateTime.UtcNow > deadline)
                return false;
            await TickAsync(awaited, cancellationToken);
        }
        return true;
    }

    /// <summary>
    /// Lets the nodes run for a moment of real time (less if <paramref name="done"/> completes), then moves the clock:
    /// by <see cref="Step"/> while messages flow, straight to the next timer (at most <see cref="MaxJump"/> ahead) once
    /// the network is quiet, so a history spends its real time on work rather than on waiting for timeouts.
    /// </summary>
    public async Task TickAsync(Task? done, CancellationToken cancellationToken)
    {
        long relayed = Network.RelayedChunks;
        Task moment = Task.Delay(1, cancellationToken);
        await (done is null ? moment : Task.WhenAny(done, moment));
        if (done is { IsCompleted: true })
            return;
        TimeSpan step = Step;
        if (Network.RelayedChunks == relayed && Time.NextDue is { } due)
            step = TimeSpan.FromTicks(Math.Clamp((due - Time.GetUtcNow()).Ticks, Step.Ticks, MaxJump.Ticks));
        Time.Advance(step);
    }

    /// <summary>For a failure message: the controller's view of the partition and each running node's own — the image it
    /// applied, its fetch state, or as leader its ISR, pending change and what each follower's fetches told it — so that a
    /// history that does not converge says which part stopped.</summary>
    public string DescribeState()
    {
        var text = new StringBuilder($"controller: {Controller.Image.GetPartition(new TopicPartition(Topic, 0))} (image {Controller.Image.Offset})");
        foreach (int node in RunningNodes)
        {
            Broker broker = this[node];
            text.Append($"\nnode {node}: {(Controller.Image.Nodes.TryGetValue(node, out var n) ? n.ToString() : "unregistered")}, ");
            if (!broker.TryGetTopic(Topic, out Topic? topic))
            {
                text.Append("no replica");
                continue;
            }
            PartitionReplica replica = topic.Partitions[0].Replica;
            text.Append(replica);
            if (broker.ClusterServices is { } services)
            {
                text.Append($"\n  applied image {services.Publisher.Applied.Offset}, node epoch {services.Lifecycle.NodeEpoch}, log end {replica.LogEndOffset}");
                if (services.Fetchers is ReplicaFetcherManager fetchers && fetchers.GetState(replica.Id) is { } fetch)
                    text.Append($", fetching {fetch}");
            }
            if (replica.Role != ReplicaRole.Leader)
                continue;
            text.Append($"\n  isr [{string.Join(',', replica.InSyncReplicas)}], maximal [{string.Join(',', replica.MaximalIsr)}], ")
                .Append($"partition epoch {replica.PartitionEpoch}, pending {replica.PendingIsrChange?.ToString() ?? "none"}");
            foreach (int follower in replica.Replicas)
            {
                if (replica.GetFollowerState(follower) is { } f)
                    text.Append($"\n  follower {follower}: log end {f.LogEndOffset}, last caught up {f.LastCaughtUpTime:HH:mm:ss.fff}, last fetch {f.LastFetchTime:HH:mm:ss.fff}");
            }
        }
        return text.ToString();
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            if (Path.GetFileName(file) == ".lock")
                continue;
            // The node runs on while it is copied: a directory may appear after the walk above, or a file go away.
            string copy = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            try
            {
                File.Copy(file, copy);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                // Deleted while copying: a crash then would not have it either.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        for (int i = 0; i < Size; i++)
        {
            if (_brokers[i] is { } broker)
                await CloseAsync(broker);
            _brokers[i] = null;
            _directories[i]?.Dispose();
        }
    }
}

/// <summary>How a simulated node stops.</summary>
internal enum NodeFailure
{
    /// <summary>A process crash: everything it wrote is in the page cache and survives.</summary>
    Kill,

    /// <summary>A power loss: only what it fsynced survives, the rest torn.</summary>
    PowerLoss,
}
