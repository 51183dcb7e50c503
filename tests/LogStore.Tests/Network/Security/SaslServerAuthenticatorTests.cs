using System.Buffers;
using System.Net;
using System.Text;
using LogStore.Network;
using LogStore.Network.Security;
using LogStore.Protocol;
using LogStore.Tests.Diagnostics;

namespace LogStore.Tests.Network.Security;

/// <summary>The per-connection SASL state machine: what is served before authentication, what closes the connection,
/// and what is logged.</summary>
[TestFixture]
public sealed class SaslServerAuthenticatorTests
{
    private CapturingLoggerFactory _logs = null!;
    private SaslServerAuthenticator _authenticator = null!;
    private KafkaConnectionInfo _connection = null!;
    private int _correlationId;

    [SetUp]
    public void SetUp()
    {
        _logs = new CapturingLoggerFactory();
        var credentials = new SaslCredentialStore();
        credentials.AddUser("alice", "wonderland");
        var options = new KafkaListenerSaslOptions { Credentials = credentials, EnabledMechanisms = [SaslMechanism.Plain, SaslMechanism.ScramSha256] };
        _authenticator = new SaslServerAuthenticator(options, _logs.CreateLogger("LogStore"), TimeProvider.System);
        _connection = new KafkaConnectionInfo("c1", new IPEndPoint(IPAddress.Loopback, 5555), IsEncrypted: false);
    }

    [TearDown]
    public void TearDown() => _logs.Dispose();

    private ResponseFrame? Send(ApiKey apiKey, short version, object body) =>
        _authenticator.Handle(new RequestHeader { ApiKey = apiKey, ApiVersion = version, CorrelationId = ++_correlationId }, body, _connection);

    private static T Decode<T>(ResponseFrame? frame, short version) where T : IKafkaMessage<T>
    {
        Assert.That(frame, Is.Not.Null, "a response is due");
        using (frame)
        {
            byte[] bytes = [.. frame!.Parts.SelectMany(p => p.Bytes)];
            bool flexible = T.ApiKey == ApiKey.SaslAuthenticate && version >= 2;
            return ResponseDecoder.Read<T>(new ReadOnlySequence<byte>(bytes), version, flexible, out _);
        }
    }

    private SaslHandshakeResponse Handshake(string mechanism, short version = 1) =>
        Decode<SaslHandshakeResponse>(Send(ApiKey.SaslHandshake, version, new SaslHandshakeRequest { Mechanism = mechanism }), version);

    private SaslAuthenticateResponse Authenticate(string message, short version = 1) =>
        Decode<SaslAuthenticateResponse>(Send(ApiKey.SaslAuthenticate, version, new SaslAuthenticateRequest { AuthBytes = Encoding.UTF8.GetBytes(message) }), version);

    [Test]
    public void ApiVersionsThenPlain_Authenticates()
    {
        ApiVersionsResponse versions = Decode<ApiVersionsResponse>(Send(ApiKey.ApiVersions, 0, new ApiVersionsRequest()), 0);
        Assert.That(versions.ErrorCode, Is.EqualTo(ErrorCode.None));

        SaslHandshakeResponse handshake = Handshake("PLAIN");
        Assert.That(handshake.ErrorCode, Is.EqualTo(ErrorCode.None));
        Assert.That(handshake.Mechanisms, Is.EqualTo(new[] { "PLAIN", "SCRAM-SHA-256" }));
        Assert.That(_connection.AuthenticatedUser, Is.Null);

        SaslAuthenticateResponse done = Authenticate("\0alice\0wonderland", version: 2);
        Assert.That(done.ErrorCode, Is.EqualTo(ErrorCode.None));
        Assert.That(_connection.AuthenticatedUser, Is.EqualTo("alice"));
        Assert.That(_connection.CloseReason, Is.Null);
        Assert.That(_logs.WithId(5015).Single().Message, Does.Contain("alice").And.Contain("PLAIN"));
    }

    [Test]
    public void OtherRequestBeforeHandshake_ClosesWithoutAnswer_AndIsLogged()
    {
        Assert.That(Send(ApiKey.Metadata, 4, new MetadataRequest()), Is.Null);

        Assert.That(_connection.CloseReason, Does.Contain("unexpected Metadata request during SASL handshake"));
        Assert.That(_logs.WithId(5012).Single().Message, Does.Contain("Unexpected Kafka request of type Metadata during SASL handshake"));
    }

    [Test]
    public void ApiVersionsDuringAuthentication_ClosesWithoutAnswer()
    {
        Handshake("SCRAM-SHA-256");

        Assert.That(Send(ApiKey.ApiVersions, 0, new ApiVersionsRequest()), Is.Null);
        Assert.That(_logs.WithId(5012).Single().Message, Does.Contain("during SASL authentication"));
    }

    [TestCase("SCRAM-SHA-512", (short)1, "'SCRAM-SHA-512' is not enabled")]
    [TestCase("GSSAPI", (short)1, "'GSSAPI' is not enabled")]
    [TestCase("plain", (short)1, "'plain' is not enabled")]
    public void UnsupportedMechanism_IsAnsweredThenClosed(string mechanism, short version, string logged)
    {
        SaslHandshakeResponse response = Handshake(mechanism, version);

        Assert.That(response.ErrorCode, Is.EqualTo(ErrorCode.UnsupportedSaslMechanism));
        Assert.That(response.Mechanisms, Is.EqualTo(new[] { "PLAIN", "SCRAM-SHA-256" }));
        Assert.That(_connection.CloseReason, Is.Not.Null);
        Assert.That(_logs.WithId(5013).Single().Message, Does.Contain(logged));
    }

    [Test]
    public void HandshakeV0_ThenARawToken_Authenticates()
    {
        Assert.That(Handshake("PLAIN", 0).ErrorCode, Is.EqualTo(ErrorCode.None));
        Assert.That(_authenticator.ExpectsRawToken, Is.True);

        using ResponseFrame? answer = _authenticator.HandleRawToken(new System.Buffers.ReadOnlySequence<byte>("\0alice\0wonderland"u8.ToArray()), _connection);

        Assert.That(answer!.Length, Is.Zero, "PLAIN answers an empty token");
        Assert.That(_connection.AuthenticatedUser, Is.EqualTo("alice"));
    }

    [Test]
    public void WrongPassword_IsAnsweredAuthenticationFailedThenClosed()
    {
        Handshake("PLAIN");

        SaslAuthenticateResponse response = Authenticate("\0alice\0looking-glass");

        Assert.That(response.ErrorCode, Is.EqualTo(ErrorCode.SaslAuthenticationFailed));
        Assert.That(response.ErrorMessage, Does.Contain("Invalid username or password"));
        Assert.That(_connection.AuthenticatedUser, Is.Null);
        Assert.That(_connection.CloseReason, Is.EqualTo("SASL authentication failed"));
        Assert.That(_logs.WithId(5014).Single().Message, Does.Contain("PLAIN").And.Contain("c1"));
    }

    [Test]
    public void ScramUnknownUser_FailsAtClientFirst()
    {
        Handshake("SCRAM-SHA-256");

        SaslAuthenticateResponse response = Authenticate("n,,n=bob,r=nonce");

        Assert.That(response.ErrorCode, Is.EqualTo(ErrorCode.SaslAuthenticationFailed));
        Assert.That(_connection.CloseReason, Is.Not.Null);
    }
}
