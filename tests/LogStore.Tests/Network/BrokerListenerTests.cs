using System.Net;
using System.Net.Sockets;
using LogStore.Tests.Diagnostics;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Network;

/// <summary>A Broker with <see cref="BrokerOptions.KafkaListener"/>: the listener starts with it, its address is
/// <see cref="Broker.KafkaEndpoint"/>, and disposing stops it.</summary>
public sealed class BrokerListenerTests : BrokerFixture
{
    [Test]
    public async Task OpenAsync_WithListener_ServesOnItsEndpoint_UntilDisposed()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var logs = new CapturingLoggerFactory();
        Broker broker = await Broker.OpenAsync(Options(new IPEndPoint(IPAddress.Loopback, 0), logs), timeout.Token);
        IPEndPoint endpoint;
        try
        {
            endpoint = broker.KafkaEndpoint!;
            Assert.That(endpoint, Is.Not.Null);
            Assert.That(endpoint.Port, Is.Not.Zero);
            Assert.That(endpoint.Address, Is.EqualTo(IPAddress.Loopback));
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(endpoint, timeout.Token);
            await using TestClient client = TestClient.OverStream(new NetworkStream(socket, ownsSocket: true));
            await client.SendAsync(TestClient.Request(18, 1), timeout.Token);

            // The test client's frame is a bare header, no Kafka request: the router refuses it, which closes the connection.
            Assert.That(await client.IsClosedByServerAsync(timeout.Token), Is.True);
        }
        finally
        {
            await broker.DisposeAsync();
        }

        Assert.That(logs.WithId(5007).Single().Exception!.Message, Does.Contain("Malformed request"));
        using var after = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        SocketException? refused = Assert.ThrowsAsync<SocketException>(async () => await after.ConnectAsync(endpoint, timeout.Token));
        Assert.That(refused!.SocketErrorCode, Is.EqualTo(SocketError.ConnectionRefused));
    }

    [Test]
    public async Task OpenAsync_WithoutListener_HasNoEndpoint()
    {
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = Dir.Path, TimeProvider = Time });

        Assert.That(broker.KafkaEndpoint, Is.Null);
    }

    [Test]
    public async Task OpenAsync_PortInUse_ThrowsKafkaListenerException_AndReleasesTheDirectory()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        holder.Listen();
        var taken = (IPEndPoint)holder.LocalEndPoint!;

        KafkaListenerException? e = Assert.ThrowsAsync<KafkaListenerException>(
            async () => await Broker.OpenAsync(Options(taken, new CapturingLoggerFactory())));

        Assert.That(e!.Endpoint, Is.EqualTo(taken));
        Assert.That(e.Message, Does.Contain(taken.ToString()));
        await using Broker reopened = await Broker.OpenAsync(new BrokerOptions { DataDirectory = Dir.Path, TimeProvider = Time });
    }

    [Test]
    public void OpenAsync_InvalidListenerOptions_ThrowsBeforeTouchingTheDirectory()
    {
        var options = new BrokerOptions
        {
            DataDirectory = Dir.Combine("never-created"),
            KafkaListener = new KafkaListenerOptions { Endpoint = new IPEndPoint(IPAddress.Loopback, 0), SocketRequestMaxBytes = 4 },
        };

        Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await Broker.OpenAsync(options));
        Assert.That(Directory.Exists(options.DataDirectory), Is.False);
    }

    private BrokerOptions Options(IPEndPoint endpoint, CapturingLoggerFactory logs) => new()
    {
        DataDirectory = Dir.Path,
        TimeProvider = Time,
        LoggerFactory = logs,
        KafkaListener = new KafkaListenerOptions { Endpoint = endpoint },
    };
}
