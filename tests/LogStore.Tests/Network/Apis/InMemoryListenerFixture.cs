using System.Net;
using LogStore.Network.Transport;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Network.Apis;

/// <summary>
/// A broker on the fixture's fake clock whose Kafka listener runs on the in-memory transport, opened before each test
/// and disposed after it, for tests that send raw requests; <see cref="Token"/> bounds each test's waits (30 s).
/// </summary>
public abstract class InMemoryListenerFixture : BrokerFixture
{
    private CancellationTokenSource _timeout = null!;

    internal Broker Broker { get; private set; } = null!;

    internal InMemoryConnectionListenerFactory Transport { get; private set; } = null!;

    protected CancellationToken Token => _timeout.Token;

    [SetUp]
    public async Task OpenListenerBroker()
    {
        _timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Transport = new InMemoryConnectionListenerFactory();
        Broker = await Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = Dir.Path,
            TimeProvider = Time,
            KafkaTransport = Transport,
            KafkaListener = new KafkaListenerOptions { Endpoint = new IPEndPoint(IPAddress.Loopback, 0) },
        });
    }

    [TearDown]
    public async Task CloseListenerBroker()
    {
        await Broker.DisposeAsync();
        _timeout.Dispose();
    }

    /// <summary>A raw client on a new connection to the listener.</summary>
    internal async Task<KafkaWireClient> ConnectAsync() => new(new TestClient(await Transport.ConnectAsync(Token)));
}
