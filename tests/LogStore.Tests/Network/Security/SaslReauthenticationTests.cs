using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LogStore.Protocol;
using LogStore.Tests.Diagnostics;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Network.Security;

/// <summary>
/// KIP-368 on a listener with <see cref="KafkaListenerSaslOptions.ConnectionsMaxReauth"/>, spoken to frame by frame over
/// TCP on a fake clock: SaslAuthenticate tells the session's lifetime; once it has passed, only a re-authentication is
/// served and anything else closes the connection; a re-authentication as another user is refused. Also: an API
/// LogStore does not serve, before authentication, closes the connection like any other request.
/// </summary>
[TestFixture]
public sealed class SaslReauthenticationTests : BrokerFixture
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);
    private CancellationTokenSource _timeout = null!;
    private CapturingLoggerFactory _logs = null!;
    private Broker _broker = null!;
    private TestClient _client = null!;
    private int _correlationId;

    private async Task ConnectAsync(TimeSpan? reauth)
    {
        _timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        _logs = new CapturingLoggerFactory();
        var credentials = new SaslCredentialStore();
        credentials.AddUser("alice", "wonderland");
        credentials.AddUser("bob", "builder");
        _broker = await Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = Dir.Path,
            LoggerFactory = _logs,
            TimeProvider = Time,
            KafkaListener = new KafkaListenerOptions
            {
                Endpoint = new IPEndPoint(IPAddress.Loopback, 0),
                Sasl = new KafkaListenerSaslOptions { Credentials = credentials, EnabledMechanisms = [SaslMechanism.Plain], ConnectionsMaxReauth = reauth },
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
    public async Task Authenticate_TellsTheSessionLifetime_OnlyWhenSessionsExpire()
    {
        await ConnectAsync(Lifetime);
        Assert.That((await AuthenticateAsync("alice", "wonderland")).SessionLifetimeMs, Is.EqualTo(60_000));
        await _client.DisposeAsync();
        await _broker.DisposeAsync();
        _logs.Dispose();
        _timeout.Dispose();

        await ConnectAsync(reauth: null);
        Assert.That((await AuthenticateAsync("alice", "wonderland")).SessionLifetimeMs, Is.Zero);
    }

    [Test]
    public async Task ExpiredSession_AnyRequestButReauthentication_ClosesTheConnection_Logged()
    {
        await ConnectAsync(Lifetime);
        Assert.That((await AuthenticateAsync("alice", "wonderland")).ErrorCode, Is.EqualTo(ErrorCode.None));
        Time.Advance(Lifetime - TimeSpan.FromMilliseconds(1));
        await AssertMetadataServedAsync();

        Time.Advance(TimeSpan.FromMilliseconds(1));
        await SendAsync(4, new MetadataRequest());

        Assert.That(await _client.IsClosedByServerAsync(_timeout.Token), Is.True);
        Assert.That(_logs.WithId(5017).Single().Message, Does.Contain("SASL session expired").And.Contain("Metadata"));
    }

    [Test]
    public async Task ExpiredSession_Reauthentication_StartsANewSession()
    {
        await ConnectAsync(Lifetime);
        await AuthenticateAsync("alice", "wonderland");
        Time.Advance(Lifetime + TimeSpan.FromSeconds(5));

        SaslAuthenticateResponse again = await AuthenticateAsync("alice", "wonderland");

        Assert.That(again.ErrorCode, Is.EqualTo(ErrorCode.None));
        Assert.That(again.SessionLifetimeMs, Is.EqualTo(60_000));
        await AssertMetadataServedAsync();
        Time.Advance(Lifetime - TimeSpan.FromSeconds(1));
        await AssertMetadataServedAsync();
        Assert.That(_logs.WithId(5018).Single().Message, Does.Contain("re-authenticated as alice"));
    }

    [Test]
    public async Task Reauthentication_AsAnotherUser_IsRefusedAndClosed()
    {
        await ConnectAsync(Lifetime);
        await AuthenticateAsync("alice", "wonderland");

        SaslAuthenticateResponse refused = await AuthenticateAsync("bob", "builder");

        Assert.That(refused.ErrorCode, Is.EqualTo(ErrorCode.SaslAuthenticationFailed));
        Assert.That(refused.ErrorMessage, Does.Contain("Cannot change principals during re-authentication from User.alice: User.bob"));
        Assert.That(await _client.IsClosedByServerAsync(_timeout.Token), Is.True);
        Assert.That(_logs.WithId(5014).Single().Message, Does.Contain("Cannot change principals"));
    }

    [Test]
    public async Task OtherRequest_InTheMiddleOfAReauthentication_ClosesTheConnection()
    {
        await ConnectAsync(Lifetime);
        await AuthenticateAsync("alice", "wonderland");
        await SendAsync(1, new SaslHandshakeRequest { Mechanism = "PLAIN" });
        Assert.That((await ReceiveAsync<SaslHandshakeResponse>(1)).ErrorCode, Is.EqualTo(ErrorCode.None));

        await SendAsync(4, new MetadataRequest());

        Assert.That(await _client.IsClosedByServerAsync(_timeout.Token), Is.True);
        Assert.That(_logs.WithId(5012).Single().Message, Does.Contain("re-authentication"));
    }

    [Test]
    public async Task UnservedApi_BeforeAuthentication_ClosesTheConnection()
    {
        await ConnectAsync(Lifetime);

        await _client.SendAsync(Network.UnsupportedApiTests.Frame(ApiKey.DescribeAcls, 1, 1, flexible: false, []), _timeout.Token);

        Assert.That(await _client.IsClosedByServerAsync(_timeout.Token), Is.True);
        Assert.That(_logs.WithId(5012).Single().Message, Does.Contain("DescribeAcls during SASL handshake"));
    }

    private async Task<SaslAuthenticateResponse> AuthenticateAsync(string user, string password)
    {
        await SendAsync(1, new SaslHandshakeRequest { Mechanism = "PLAIN" });
        Assert.That((await ReceiveAsync<SaslHandshakeResponse>(1)).ErrorCode, Is.EqualTo(ErrorCode.None));
        await SendAsync(1, new SaslAuthenticateRequest { AuthBytes = Encoding.UTF8.GetBytes($"\0{user}\0{password}") });
        return await ReceiveAsync<SaslAuthenticateResponse>(1);
    }

    private async Task AssertMetadataServedAsync()
    {
        await SendAsync(4, new MetadataRequest());
        Assert.That((await ReceiveAsync<MetadataResponse>(4)).Brokers, Has.Count.EqualTo(1));
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

    private async Task<T> ReceiveAsync<T>(short version) where T : IKafkaMessage<T>
    {
        byte[] response = await _client.ReadResponseAsync(_timeout.Token);
        T body = ResponseDecoder.Read<T>(new ReadOnlySequence<byte>(response), version, flexibleHeader: false, out int correlationId);
        Assert.That(correlationId, Is.EqualTo(_correlationId));
        return body;
    }
}
