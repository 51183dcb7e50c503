using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LogStore.Protocol;
using LogStore.Tests.Diagnostics;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Network.Security;

/// <summary>A broker whose listener has the SASL options a test gives (users alice/wonderland and bob/builder; the
/// fixture's fake clock), and one raw TCP connection to it, spoken to frame by frame.</summary>
public abstract class SaslWireFixture : BrokerFixture
{
    private int _correlationId;

    internal CancellationTokenSource Timeout { get; private set; } = null!;

    internal CapturingLoggerFactory Logs { get; private set; } = null!;

    internal Broker Store { get; private set; } = null!;

    internal TestClient Client { get; private set; } = null!;

    /// <summary>The correlation id of the last request sent.</summary>
    internal int CorrelationId => _correlationId;

    /// <summary>Opens the broker with <paramref name="sasl"/> (null: a listener without SASL), then connects.</summary>
    internal async Task ConnectAsync(Func<SaslCredentialStore, KafkaListenerSaslOptions?> sasl)
    {
        Timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Logs = new CapturingLoggerFactory();
        var credentials = new SaslCredentialStore();
        credentials.AddUser("alice", "wonderland");
        credentials.AddUser("bob", "builder");
        Store = await Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = Dir.Path,
            LoggerFactory = Logs,
            TimeProvider = Time,
            KafkaListener = new KafkaListenerOptions { Endpoint = new IPEndPoint(IPAddress.Loopback, 0), Sasl = sasl(credentials) },
        });
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(Store.KafkaEndpoint!, Timeout.Token);
        Client = TestClient.OverStream(new NetworkStream(socket, ownsSocket: true));
    }

    [TearDown]
    public async Task DisconnectAsync()
    {
        if (Client is not null)
            await Client.DisposeAsync();
        if (Store is not null)
            await Store.DisposeAsync();
        Logs?.Dispose();
        Timeout?.Dispose();
    }

    internal async Task SendAsync<T>(short version, T body) where T : IKafkaMessage<T>
    {
        var header = new RequestHeader { ApiKey = T.ApiKey, ApiVersion = version, CorrelationId = ++_correlationId, ClientId = "raw" };
        await Client.SendAsync(KafkaWireClient.Frame(header, body), Timeout.Token);
    }

    /// <summary>Reads the next response, checking it answers the last request.</summary>
    internal async Task<T> ReceiveAsync<T>(short version, bool flexibleHeader = false) where T : IKafkaMessage<T>
    {
        byte[] response = await Client.ReadResponseAsync(Timeout.Token);
        T body = ResponseDecoder.Read<T>(new ReadOnlySequence<byte>(response), version, flexibleHeader, out int correlationId);
        Assert.That(correlationId, Is.EqualTo(_correlationId));
        return body;
    }

    /// <summary>SaslHandshake v1 for PLAIN, then SaslAuthenticate v1 with <paramref name="user"/>'s password.</summary>
    internal async Task<SaslAuthenticateResponse> AuthenticatePlainAsync(string user, string password)
    {
        await SendAsync(1, new SaslHandshakeRequest { Mechanism = "PLAIN" });
        Assert.That((await ReceiveAsync<SaslHandshakeResponse>(1)).ErrorCode, Is.EqualTo(ErrorCode.None));
        await SendAsync(1, new SaslAuthenticateRequest { AuthBytes = Encoding.UTF8.GetBytes($"\0{user}\0{password}") });
        return await ReceiveAsync<SaslAuthenticateResponse>(1);
    }

    internal async Task AssertMetadataServedAsync()
    {
        await SendAsync(4, new MetadataRequest());
        Assert.That((await ReceiveAsync<MetadataResponse>(4)).Brokers, Has.Count.EqualTo(1));
    }
}
