using System.Net;
using LogStore.Cluster.Controller;
using LogStore.Cluster.Metadata;
using LogStore.Network.Transport;
using LogStore.Tests.Network;
using Microsoft.Extensions.Logging.Abstractions;
using LogStore.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace LogStore.Tests.Cluster;

/// <summary>
/// Three Raft controllers in one process on the in-memory network, each with its own data directory, which survives
/// <see cref="StopAsync"/> so <see cref="StartAsync"/> restarts from the write-ahead log. Session time is a
/// <see cref="FakeTimeProvider"/> the test advances; Raft's own timers are real. Every wait is bounded by the caller's
/// token.
/// </summary>
internal sealed class ControllerCluster : IAsyncDisposable
{
    public const int Size = 3;
    public static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(6);

    private readonly TempDirectory[] _directories = [new(), new(), new()];
    private readonly QuorumController?[] _nodes = new QuorumController?[Size];
    private readonly long _snapshotInterval;
    private readonly bool _tls;

    public ControllerCluster(long snapshotInterval = 1024, bool tls = false)
    {
        _snapshotInterval = snapshotInterval;
        _tls = tls;
        Voters = [.. Enumerable.Range(0, Size).Select(i => (EndPoint)new IPEndPoint(IPAddress.Loopback, 19090 + i))];
    }

    public InMemoryNetwork Network { get; } = new();

    public FakeTimeProvider Time { get; } = new();

    public EndPoint[] Voters { get; }

    public IEnumerable<QuorumController> Running => _nodes.Where(n => n is not null)!;

    public QuorumController? this[int index] => _nodes[index];

    public static async Task<ControllerCluster> StartAllAsync(CancellationToken cancellationToken, long snapshotInterval = 1024, bool tls = false)
    {
        var cluster = new ControllerCluster(snapshotInterval, tls);
        for (int i = 0; i < Size; i++)
            await cluster.StartAsync(i, cancellationToken);
        return cluster;
    }

    public async Task StartAsync(int index, CancellationToken cancellationToken)
    {
        _nodes[index] = await QuorumController.StartAsync(new ControllerOptions
        {
            DataDirectory = _directories[index].Path,
            EndPoint = Voters[index],
            Voters = Voters,
            // Combined mode, as on a Broker: voter i is node i + 1 (the ids RegisterNodesAsync uses).
            VoterNodeIds = Enumerable.Range(0, Size).ToDictionary(i => Voters[i], i => i + 1),
            // With TLS, every peer connection is mutually authenticated (the test certificates).
            ListenerFactory = _tls ? ClientConnectionFactoryTests.TlsListener(Network, NullLoggerFactory.Instance) : Network,
            ConnectionFactory = _tls ? ClientConnectionFactoryTests.TlsClient(Network.For(Voters[index]), TestCertificates.Client) : Network.For(Voters[index]),
            SessionTimeout = SessionTimeout,
            LowerElectionTimeout = 300,
            UpperElectionTimeout = 600,
            SnapshotInterval = _snapshotInterval,
            TimeProvider = Time,
        }, cancellationToken);
    }

    /// <summary>Stops one controller as a crash would, from the others' view: its connections close, it answers no
    /// more. Its directory stays.</summary>
    public async Task StopAsync(int index)
    {
        var node = _nodes[index];
        _nodes[index] = null;
        if (node is not null)
            await node.DisposeAsync();
    }

    public string DataDirectory(int index) => _directories[index].Path;

    public int IndexOf(QuorumController controller) => Array.IndexOf(_nodes, controller);

    /// <summary>The one running controller that is active and that every running controller names, once there is one.</summary>
    public async Task<QuorumController> WaitForActiveAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var active = Running.Where(n => n.IsActive).ToList();
            if (active.Count == 1 && Running.All(n => Equals(n.ActiveController, active[0].EndPoint)))
                return active[0];
            await Task.Delay(10, cancellationToken);
        }
    }

    /// <summary>The active controller among <paramref name="controllers"/>, once one is and they all name it.</summary>
    public static async Task<QuorumController> WaitForActiveAmongAsync(IReadOnlyList<QuorumController> controllers, CancellationToken cancellationToken)
    {
        while (true)
        {
            var active = controllers.Where(n => n.IsActive).ToList();
            if (active.Count == 1 && controllers.All(n => Equals(n.ActiveController, active[0].EndPoint)))
                return active[0];
            await Task.Delay(10, cancellationToken);
        }
    }

    /// <summary>Runs <paramref name="command"/> on the active controller, again on the next one if leadership moves
    /// under it.</summary>
    public async Task<T> OnActiveAsync<T>(Func<QuorumController, ValueTask<T>> command, CancellationToken cancellationToken)
    {
        while (true)
        {
            var active = await WaitForActiveAsync(cancellationToken);
            try
            {
                return await command(active);
            }
            catch (NotControllerException)
            {
                await Task.Delay(10, cancellationToken);
            }
        }
    }

    public Task OnActiveAsync(Func<QuorumController, ValueTask> command, CancellationToken cancellationToken)
        => OnActiveAsync<bool>(async c => { await command(c); return true; }, cancellationToken);

    /// <summary>Creates a topic on the active controller (<see cref="OnActiveAsync{T}"/>).</summary>
    public Task<TopicRegistration> CreateTopicAsync(string name, int partitions, int replicationFactor, CancellationToken cancellationToken,
        bool uncleanLeaderElection = false) =>
        OnActiveAsync(c => c.CreateTopicAsync(name, partitions, replicationFactor, uncleanLeaderElection, cancellationToken: cancellationToken), cancellationToken);

    /// <summary>Waits until every running controller applied the same entries and holds the same image; returns it.</summary>
    public async Task<string> WaitForEqualImagesAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var images = Running.Select(n => n.Image).ToList();
            if (images.All(i => i.Offset == images[0].Offset) && images.Select(i => i.Describe()).Distinct().Count() == 1)
                return images[0].Describe();
            await Task.Delay(10, cancellationToken);
        }
    }

    /// <summary>Waits until every running controller's image is <paramref name="expected"/>; on timeout, fails with
    /// the images it saw.</summary>
    public async Task WaitForImageAsync(string expected, CancellationToken cancellationToken)
    {
        try
        {
            while (!Running.All(n => n.Image.Describe() == expected))
                await Task.Delay(10, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"expected on every controller:\n{expected}\nbut saw:\n{string.Join("\n--\n", Running.Select(n => n.Image.Describe()))}");
        }
    }

    /// <summary>Registers nodes 1..3 (brokers, not controllers) with epoch 1.</summary>
    public Task RegisterNodesAsync(CancellationToken cancellationToken, params int[] nodeIds)
    {
        return OnActiveAsync(async c =>
        {
            foreach (int id in nodeIds.Length == 0 ? [1, 2, 3] : nodeIds)
                await c.RegisterNodeAsync(id, 1, "localhost", 9092 + id, cancellationToken: cancellationToken);
        }, cancellationToken);
    }

    /// <summary>Heartbeats for <paramref name="nodeIds"/> at epoch 1.</summary>
    public Task HeartbeatAsync(CancellationToken cancellationToken, params int[] nodeIds)
        => OnActiveAsync(async c =>
        {
            foreach (int id in nodeIds)
                await c.HeartbeatAsync(id, 1, cancellationToken);
        }, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        for (int i = 0; i < Size; i++)
            await StopAsync(i);
        foreach (var directory in _directories)
            directory.Dispose();
    }
}
