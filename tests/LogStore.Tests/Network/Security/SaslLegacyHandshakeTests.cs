using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using LogStore.Protocol;
using LogStore.Tests.Diagnostics;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Network.Security;

/// <summary>Kafka's legacy SASL flow over a raw socket: SaslHandshake v0, then the mechanism's tokens framed by their
/// size alone, answered the same way; then the connection is served as any authenticated one.</summary>
[TestFixture]
public sealed class SaslLegacyHandshakeTests : BrokerFixture
{
    private CancellationTokenSource _timeout = null!;
    private CapturingLoggerFactory _logs = null!;
    private Broker _broker = null!;
    private TestClient _client = null!;
    private int _correlationId;

    [SetUp]
    public async Task Connect()
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
                Sasl = new KafkaListenerSaslOptions
                {
                    Credentials = credentials,
                    EnabledMechanisms = [SaslMechanism.Plain, SaslMechanism.ScramSha256, SaslMechanism.ScramSha512],
                },
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

    [Test]
    public async Task Plain_RawToken_IsAnsweredWithAnEmptyToken_ThenRequestsAreServed()
    {
        await HandshakeV0Async("PLAIN");

        byte[] answer = await ExchangeRawAsync(Encoding.UTF8.GetBytes("\0alice\0wonderland"));

        Assert.That(answer, Is.Empty);
        await AssertMetadataServedAsync();
        Assert.That(_logs.WithId(5015).Single().Message, Does.Contain("authenticated as alice with SASL PLAIN"));
    }

    [TestCase("SCRAM-SHA-256")]
    [TestCase("SCRAM-SHA-512")]
    public async Task Scram_RawTokens_CompleteTheExchange_ThenRequestsAreServed(string mechanism)
    {
        var scram = new ScramTestClient("alice", "wonderland", mechanism.EndsWith("512", StringComparison.Ordinal) ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256);
        await HandshakeV0Async(mechanism);

        byte[] serverFirst = await ExchangeRawAsync(scram.ClientFirst());
        byte[] serverFinal = await ExchangeRawAsync(scram.ClientFinal(serverFirst));

        Assert.That(scram.IsServerFinalValid(serverFinal), Is.True, Encoding.UTF8.GetString(serverFinal));
        await AssertMetadataServedAsync();
    }

    [Test]
    public async Task WrongPassword_RawToken_ClosesTheConnectionWithoutAnswer_Logged()
    {
        await HandshakeV0Async("PLAIN");

        await _client.SendAsync(RawFrame(Encoding.UTF8.GetBytes("\0alice\0looking-glass")), _timeout.Token);

        Assert.That(await _client.IsClosedByServerAsync(_timeout.Token), Is.True);
        Assert.That(_logs.WithId(5014), Has.Count.EqualTo(1));
    }

    private async Task HandshakeV0Async(string mechanism)
    {
        await SendAsync(0, new SaslHandshakeRequest { Mechanism = mechanism });
        byte[] response = await _client.ReadResponseAsync(_timeout.Token);
        SaslHandshakeResponse handshake = ResponseDecoder.Read<SaslHandshakeResponse>(new ReadOnlySequence<byte>(response), 0, false, out _);
        Assert.That(handshake.ErrorCode, Is.EqualTo(ErrorCode.None));
    }

    private async Task<byte[]> ExchangeRawAsync(byte[] token)
    {
        await _client.SendAsync(RawFrame(token), _timeout.Token);
        return await _client.ReadResponseAsync(_timeout.Token);
    }

    private static byte[] RawFrame(byte[] token)
    {
        var frame = new byte[4 + token.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, token.Length);
        token.CopyTo(frame, 4);
        return frame;
    }

    private async Task AssertMetadataServedAsync()
    {
        await SendAsync(4, new MetadataRequest());
        byte[] response = await _client.ReadResponseAsync(_timeout.Token);
        MetadataResponse metadata = ResponseDecoder.Read<MetadataResponse>(new ReadOnlySequence<byte>(response), 4, false, out int correlationId);
        Assert.That(correlationId, Is.EqualTo(_correlationId));
        Assert.That(metadata.Brokers, Has.Count.EqualTo(1));
    }

    private async Task SendAsync<T>(short version, T body) where T : IKafkaMessage<T>
    {
        var output = new ArrayBufferWriter<byte>();
        output.Write(new byte[4]);
        var writer = new KafkaWriter(output);
        new RequestHeader { ApiKey = T.ApiKey, ApiVersion = version, CorrelationId = ++_correlationId, ClientId = "raw" }.Write(ref writer);
        body.Write(ref writer, version);
        byte[] frame = output.WrittenSpan.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(frame, frame.Length - 4);
        await _client.SendAsync(frame, _timeout.Token);
    }
}
