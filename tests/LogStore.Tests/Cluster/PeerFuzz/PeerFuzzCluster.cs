using System.Net;
using LogStore.Network.Transport;
using LogStore.Tests.TestSupport;
using Microsoft.Extensions.Logging;

namespace LogStore.Tests.Cluster.PeerFuzz;

/// <summary>
/// Three Brokers in one process on the in-memory network, each a node of one cluster with its Raft controller, the
/// Kafka-protocol controller channel and the Kafka-protocol fetchers: the inter-node traffic a hostile peer imitates
/// flows over the same listener it attacks. The session timeout is longer than the default so that a fuzzing run on a
/// loaded machine never fences a node by starving its heartbeats (fencing is not what is tested). Every node logs to
/// one <see cref="ErrorLog"/>, which keeps what a request handler's failure reports.
/// </summary>
internal sealed class PeerFuzzCluster : IAsyncDisposable
{
    public const int Size = 3;

    private readonly TempDirectory[] _directories = [new(), new(), new()];
    private readonly Broker?[] _brokers = new Broker?[Size];

    private PeerFuzzCluster()
    {
        Nodes = [.. Enumerable.Range(0, Size).Select(i => new ClusterNode(i, new IPEndPoint(IPAddress.Loopback, 39092 + 10 * i)))];
        foreach (ClusterNode node in Nodes)
            Network.DefineHost($"node{node.NodeId}", node.Endpoint, node.ResolvedControllerEndpoint);
    }

    public InMemoryNetwork Network { get; } = new();

    public IReadOnlyList<ClusterNode> Nodes { get; }

    public ErrorLog Errors { get; } = new();

    public Broker this[int node] => _brokers[node] ?? throw new InvalidOperationException($"Node {node} is not running.");

    public static async Task<PeerFuzzCluster> StartAsync(CancellationToken cancellationToken)
    {
        var cluster = new PeerFuzzCluster();
        try
        {
            await Task.WhenAll(Enumerable.Range(0, Size).Select(i => cluster.StartNodeAsync(i, cancellationToken)));
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    /// <summary>Waits until every node applied an image satisfying <paramref name="ready"/>.</summary>
    public Task WaitForAllAsync(Func<LogStore.Cluster.Metadata.ClusterImage, bool> ready, CancellationToken cancellationToken) =>
        Task.WhenAll(_brokers.Select(b => b!.ClusterServices!.Publisher.WaitForAsync(ready, cancellationToken)));

    private async Task StartNodeAsync(int node, CancellationToken cancellationToken)
    {
        _brokers[node] = await Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = _directories[node].Path,
            KafkaListener = new KafkaListenerOptions { Endpoint = Nodes[node].Endpoint, AutoCreateTopics = false },
            KafkaTransport = Network,
            LoggerFactory = Errors,
            Replication = new ReplicationOptions
            {
                NodeId = node,
                Nodes = Nodes,
                ControllerTransport = Network,
                ConnectionFactory = Network.For(Nodes[node].Endpoint),
                SessionTimeout = TimeSpan.FromSeconds(30),
            },
        }, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        for (int i = 0; i < Size; i++)
        {
            Broker? broker = _brokers[i];
            _brokers[i] = null;
            if (broker is not null)
                await broker.DisposeAsync();
        }
        foreach (TempDirectory directory in _directories)
            directory.Dispose();
    }

    /// <summary>Keeps the error-level entries of every node (a failed request handler's among them); cheaper levels are
    /// not even formatted, since a fuzzing run opens and closes a connection per malformed frame.</summary>
    internal sealed class ErrorLog : ILoggerFactory
    {
        private readonly List<string> _entries = [];

        public IReadOnlyList<string> Entries
        {
            get
            {
                lock (_entries)
                    return [.. _entries];
            }
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        private sealed class Logger(ErrorLog log, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (!IsEnabled(logLevel))
                    return;
                lock (log._entries)
                {
                    if (log._entries.Count < 100)
                        log._entries.Add($"{category} [{eventId.Id}] {formatter(state, exception)} {exception}");
                }
            }
        }
    }
}
