using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LogStore.Protocol;
using LogStore.Tests.Diagnostics;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Network.Security;

/// <summary>A broker's listener with SASL, spoken to frame by frame over TCP: which requests are answered, and that a
/// refusal closes the connection (after its answer, when one is due).</summary>
[TestFixture]
public sealed class SaslListenerTests : BrokerFixture
{
    private CancellationTokenSource _timeout = null!;
    private CapturingLoggerFactory _logs = null!;
    private Broker _broker = null!;
    private TestClient _client = null!;
    private int _correlationId;

    private async Task ConnectAsync(bool sasl)
    {
        _timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        _logs = new CapturingLoggerFactory();
        var credentials = new SaslCredentialStore();
        credentials.AddUser("alice", "wonderland");
        _broker = await Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = Dir.Path,
            LoggerFactory = _logs,
            KafkaListener = new KafkaListenerOptions
            {
                Endpoint = new IPEndPoint(IPAddress.Loopback, 0),
                Sasl = sasl ? new KafkaListenerSaslOptions { Credentials = credentials, EnabledMechanisms = [SaslMechanism.Plain] } : null,
            },
        });
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_broker.KafkaEndpoint!, _timeout.Token);
        _client = TestClient.OverStream(new NetworkStream(socket, ownsSocket: true));
    }

    [TearDown]
    public async Task TearDown()
    {
        await _client.DisposeAsync();
        await _broker.DisposeAsync();
        _logs.Dispose();
        _timeout.Dispose();
    }

    private async Task SendAsync<T>(short version, T body) where T : IKafkaMessage<T>
    {
        var output = new ArrayBufferWriter<byte>();
        output.Write(new byte[4]);
        var writer = new KafkaWriter(output);
        new RequestHeader { ApiKey = T.ApiKey, ApiVersion = version, CorrelationId = ++_correlationId, ClientId = "test" }.Write(ref writer);
        body.Write(ref writer, version);
        byte[] frame = output.WrittenSpan.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(frame, frame.Length - 4);
        await _client.SendAsync(frame, _timeout.Token);
    }

    private async Task<T> ReceiveAsync<T>(short version, bool flexibleHeader = false) where T : IKafkaMessage<T>
    {
        byte[] response = await _client.ReadResponseAsync(_timeout.Token);
        T body = ResponseDecoder.Read<T>(new ReadOnlySequence<byte>(response), version, flexibleHeader, out int correlationId);
        Assert.That(correlationId, Is.EqualTo(_correlationId));
        return body;
    }

    private async Task<SaslAuthenticateResponse> AuthenticateAsync(string password)
    {
        await SendAsync(1, new SaslHandshakeRequest { Mechanism = "PLAIN" });
        Assert.That((await ReceiveAsync<SaslHandshakeResponse>(1)).ErrorCode, Is.EqualTo(ErrorCode.None));
        await SendAsync(1, new SaslAuthenticateRequest { AuthBytes = Encoding.UTF8.GetBytes("\0alice\0" + password) });
        return await ReceiveAsync<SaslAuthenticateResponse>(1);
    }

    [Test]
    public async Task RequestBeforeAuthentication_ClosesTheConnectionWithoutAnswer()
    {
        await ConnectAsync(sasl: true);
        await SendAsync(0, new ApiVersionsRequest());
        Assert.That((await ReceiveAsync<ApiVersionsResponse>(0)).ErrorCode, Is.EqualTo(ErrorCode.None), "ApiVersions is served before");

        await SendAsync(4, new MetadataRequest());

        Assert.That(await _client.IsClosedByServerAsync(_timeout.Token), Is.True);
        Assert.That(_logs.WithId(5012).Single().Message, Does.Contain("Unexpected Kafka request of type Metadata during SASL handshake"));
    }

    [Test]
    public async Task WrongPassword_IsAnsweredThenClosed()
    {
        await ConnectAsync(sasl: true);

        SaslAuthenticateResponse response = await AuthenticateAsync("looking-glass");

        Assert.That(response.ErrorCode, Is.EqualTo(ErrorCode.SaslAuthenticationFailed));
        Assert.That(response.ErrorMessage, Does.Contain("Authentication failed"));
        Assert.That(await _client.IsClosedByServerAsync(_timeout.Token), Is.True);
        Assert.That(_logs.WithId(5014), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task RightPassword_ThenEveryRequestIsServed_AndASecondHandshakeIsIllegal()
    {
        await ConnectAsync(sasl: true);

        Assert.That((await AuthenticateAsync("wonderland")).ErrorCode, Is.EqualTo(ErrorCode.None));
        await SendAsync(4, new MetadataRequest());
        Assert.That((await ReceiveAsync<MetadataResponse>(4)).Brokers, Has.Count.EqualTo(1));
        await SendAsync(1, new SaslHandshakeRequest { Mechanism = "PLAIN" });

        Assert.That((await ReceiveAsync<SaslHandshakeResponse>(1)).ErrorCode, Is.EqualTo(ErrorCode.IllegalSaslState));
    }

    [Test]
    public async Task ListenerWithoutSasl_AnswersTheHandshakeIllegalSaslState()
    {
        await ConnectAsync(sasl: false);

        await SendAsync(1, new SaslHandshakeRequest { Mechanism = "PLAIN" });

        Assert.That((await ReceiveAsync<SaslHandshakeResponse>(1)).ErrorCode, Is.EqualTo(ErrorCode.IllegalSaslState));
        await SendAsync(4, new MetadataRequest());
        Assert.That((await ReceiveAsync<MetadataResponse>(4)).Brokers, Has.Count.EqualTo(1), "the connection stays open");
    }

    [Test]
    public async Task FrameLargerThanSaslMaxReceiveSize_BeforeAuthentication_ClosesTheConnection()
    {
        await ConnectAsync(sasl: true);
        var prefix = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(prefix, (512 << 10) + 1);

        await _client.SendAsync(prefix, _timeout.Token);

        Assert.That(await _client.IsClosedByServerAsync(_timeout.Token), Is.True);
        Assert.That(_logs.WithId(5006).Single().Message, Does.Contain("sasl.server.max.receive.size (524288) before authentication"));
    }
}
