using System.Net;
using LogStore.Cluster.Channel;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Cluster;

/// <summary>
/// Three nodes on one in-memory network, each a Raft controller (<see cref="ControllerCluster"/>), a Broker whose
/// Kafka listener serves the controller APIs through it (<see cref="Broker.Controller"/>), and a
/// <see cref="RemoteControllerChannel"/>. Node ids are 1–3 (index + 1). With <c>localShortcut</c> off, every node's
/// commands cross the network, the active controller's own included. The channels use the real clock for backoff
/// and timeouts; every wait is bounded by the caller's token.
/// </summary>
internal sealed class ControllerChannelCluster : IAsyncDisposable
{
    private readonly Broker?[] _brokers = new Broker?[ControllerCluster.Size];
    private readonly RemoteControllerChannel?[] _channels = new RemoteControllerChannel?[ControllerCluster.Size];
    private readonly TempDirectory[] _directories = [new(), new(), new()];

    private ControllerChannelCluster(ControllerCluster controllers) => Controllers = controllers;

    public ControllerCluster Controllers { get; }

    public static IPEndPoint KafkaEndpoint(int index) => new(IPAddress.Loopback, 29090 + index);

    public static int NodeId(int index) => index + 1;

    public static IReadOnlyDictionary<int, EndPoint> KafkaEndpoints { get; } =
        Enumerable.Range(0, ControllerCluster.Size).ToDictionary(NodeId, i => (EndPoint)KafkaEndpoint(i));

    public RemoteControllerChannel Channel(int index) => _channels[index] ?? throw new InvalidOperationException($"node {NodeId(index)} is stopped");

    public static async Task<ControllerChannelCluster> StartAsync(bool localShortcut, CancellationToken cancellationToken)
    {
        var cluster = new ControllerChannelCluster(await ControllerCluster.StartAllAsync(cancellationToken));
        for (int i = 0; i < ControllerCluster.Size; i++)
        {
            int index = i;
            ControllerCluster controllers = cluster.Controllers;
            var broker = await Broker.OpenAsync(new BrokerOptions
            {
                DataDirectory = cluster._directories[i].Path,
                KafkaTransport = controllers.Network,
                KafkaListener = new KafkaListenerOptions { Endpoint = KafkaEndpoint(i) },
            }, cancellationToken);
            broker.Controller = controllers[i];
            cluster._brokers[i] = broker;
            cluster._channels[i] = new RemoteControllerChannel(new RemoteControllerChannelOptions
            {
                NodeId = NodeId(i),
                KafkaEndpoints = KafkaEndpoints,
                ControllerEndpoints = Enumerable.Range(0, ControllerCluster.Size).ToDictionary(NodeId, n => controllers.Voters[n]),
                ConnectionFactory = controllers.Network.For(KafkaEndpoint(i)),
                LocalController = localShortcut ? controllers[i] : null,
                ActiveController = () => controllers[index]?.ActiveController,
                Metadata = controllers[i],
                RetryBackoff = TimeSpan.FromMilliseconds(20),
                MaxRetryBackoff = TimeSpan.FromMilliseconds(200),
                Timeout = TimeSpan.FromSeconds(20),
            });
        }
        return cluster;
    }

    /// <summary>Stops node <paramref name="index"/> as a crash would: its channel, its listener and its controller.</summary>
    public async Task StopNodeAsync(int index)
    {
        if (_channels[index] is { } channel)
            await channel.DisposeAsync();
        _channels[index] = null;
        if (_brokers[index] is { } broker)
            await broker.DisposeAsync();
        _brokers[index] = null;
        await Controllers.StopAsync(index);
    }

    public async ValueTask DisposeAsync()
    {
        for (int i = 0; i < ControllerCluster.Size; i++)
            await StopNodeAsync(i);
        await Controllers.DisposeAsync();
        foreach (TempDirectory directory in _directories)
            directory.Dispose();
    }
}
