using System.Buffers.Binary;
using LogStore.Protocol;

namespace LogStore.Tests.Network.Security;

/// <summary>A broker's listener with SASL, spoken to frame by frame over TCP: which requests are answered, and that a
/// refusal closes the connection (after its answer, when one is due).</summary>
[TestFixture]
public sealed class SaslListenerTests : SaslWireFixture
{
    private static KafkaListenerSaslOptions PlainOnly(SaslCredentialStore credentials) =>
        new() { Credentials = credentials, EnabledMechanisms = [SaslMechanism.Plain] };

    [Test]
    public async Task RequestBeforeAuthentication_ClosesTheConnectionWithoutAnswer()
    {
        await ConnectAsync(PlainOnly);
        await SendAsync(0, new ApiVersionsRequest());
        Assert.That((await ReceiveAsync<ApiVersionsResponse>(0)).ErrorCode, Is.EqualTo(ErrorCode.None), "ApiVersions is served before");

        await SendAsync(4, new MetadataRequest());

        Assert.That(await Client.IsClosedByServerAsync(Timeout.Token), Is.True);
        Assert.That(Logs.WithId(5012).Single().Message, Does.Contain("Unexpected Kafka request of type Metadata during SASL handshake"));
    }

    [Test]
    public async Task WrongPassword_IsAnsweredThenClosed()
    {
        await ConnectAsync(PlainOnly);

        SaslAuthenticateResponse response = await AuthenticatePlainAsync("alice", "looking-glass");

        Assert.That(response.ErrorCode, Is.EqualTo(ErrorCode.SaslAuthenticationFailed));
        Assert.That(response.ErrorMessage, Does.Contain("Authentication failed"));
        Assert.That(await Client.IsClosedByServerAsync(Timeout.Token), Is.True);
        Assert.That(Logs.WithId(5014), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task RightPassword_ThenEveryRequestIsServed_AndASecondHandshakeIsIllegal()
    {
        await ConnectAsync(PlainOnly);

        Assert.That((await AuthenticatePlainAsync("alice", "wonderland")).ErrorCode, Is.EqualTo(ErrorCode.None));
        await SendAsync(4, new MetadataRequest());
        Assert.That((await ReceiveAsync<MetadataResponse>(4)).Brokers, Has.Count.EqualTo(1));
        await SendAsync(1, new SaslHandshakeRequest { Mechanism = "PLAIN" });

        Assert.That((await ReceiveAsync<SaslHandshakeResponse>(1)).ErrorCode, Is.EqualTo(ErrorCode.IllegalSaslState));
    }

    [Test]
    public async Task ListenerWithoutSasl_AnswersTheHandshakeIllegalSaslState()
    {
        await ConnectAsync(_ => null);

        await SendAsync(1, new SaslHandshakeRequest { Mechanism = "PLAIN" });

        Assert.That((await ReceiveAsync<SaslHandshakeResponse>(1)).ErrorCode, Is.EqualTo(ErrorCode.IllegalSaslState));
        await SendAsync(4, new MetadataRequest());
        Assert.That((await ReceiveAsync<MetadataResponse>(4)).Brokers, Has.Count.EqualTo(1), "the connection stays open");
    }

    [Test]
    public async Task FrameLargerThanSaslMaxReceiveSize_BeforeAuthentication_ClosesTheConnection()
    {
        await ConnectAsync(PlainOnly);
        var prefix = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(prefix, (512 << 10) + 1);

        await Client.SendAsync(prefix, Timeout.Token);

        Assert.That(await Client.IsClosedByServerAsync(Timeout.Token), Is.True);
        Assert.That(Logs.WithId(5006).Single().Message, Does.Contain("sasl.server.max.receive.size (524288) before authentication"));
    }
}
