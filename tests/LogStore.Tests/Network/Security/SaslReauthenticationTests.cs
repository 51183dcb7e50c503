using LogStore.Protocol;

namespace LogStore.Tests.Network.Security;

/// <summary>
/// KIP-368 on a listener with <see cref="KafkaListenerSaslOptions.ConnectionsMaxReauth"/>, spoken to frame by frame over
/// TCP on a fake clock: SaslAuthenticate tells the session's lifetime; once it has passed, only a re-authentication is
/// served and anything else closes the connection; a re-authentication as another user is refused. Also: an API
/// LogStore does not serve, before authentication, closes the connection like any other request.
/// </summary>
[TestFixture]
public sealed class SaslReauthenticationTests : SaslWireFixture
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);

    private Task ConnectAsync(TimeSpan? reauth) => ConnectAsync(credentials => new KafkaListenerSaslOptions
    {
        Credentials = credentials,
        EnabledMechanisms = [SaslMechanism.Plain],
        ConnectionsMaxReauth = reauth,
    });

    [Test]
    public async Task Authenticate_TellsTheSessionLifetime_OnlyWhenSessionsExpire()
    {
        await ConnectAsync(Lifetime);
        Assert.That((await AuthenticatePlainAsync("alice", "wonderland")).SessionLifetimeMs, Is.EqualTo(60_000));
        await DisconnectAsync();

        await ConnectAsync(reauth: null);
        Assert.That((await AuthenticatePlainAsync("alice", "wonderland")).SessionLifetimeMs, Is.Zero);
    }

    [Test]
    public async Task ExpiredSession_AnyRequestButReauthentication_ClosesTheConnection_Logged()
    {
        await ConnectAsync(Lifetime);
        Assert.That((await AuthenticatePlainAsync("alice", "wonderland")).ErrorCode, Is.EqualTo(ErrorCode.None));
        Time.Advance(Lifetime - TimeSpan.FromMilliseconds(1));
        await AssertMetadataServedAsync();

        Time.Advance(TimeSpan.FromMilliseconds(1));
        await SendAsync(4, new MetadataRequest());

        Assert.That(await Client.IsClosedByServerAsync(Timeout.Token), Is.True);
        Assert.That(Logs.WithId(5017).Single().Message, Does.Contain("SASL session expired").And.Contain("Metadata"));
    }

    [Test]
    public async Task ExpiredSession_Reauthentication_StartsANewSession()
    {
        await ConnectAsync(Lifetime);
        await AuthenticatePlainAsync("alice", "wonderland");
        Time.Advance(Lifetime + TimeSpan.FromSeconds(5));

        SaslAuthenticateResponse again = await AuthenticatePlainAsync("alice", "wonderland");

        Assert.That(again.ErrorCode, Is.EqualTo(ErrorCode.None));
        Assert.That(again.SessionLifetimeMs, Is.EqualTo(60_000));
        await AssertMetadataServedAsync();
        Time.Advance(Lifetime - TimeSpan.FromSeconds(1));
        await AssertMetadataServedAsync();
        Assert.That(Logs.WithId(5018).Single().Message, Does.Contain("re-authenticated as alice"));
    }

    [Test]
    public async Task Reauthentication_AsAnotherUser_IsRefusedAndClosed()
    {
        await ConnectAsync(Lifetime);
        await AuthenticatePlainAsync("alice", "wonderland");

        SaslAuthenticateResponse refused = await AuthenticatePlainAsync("bob", "builder");

        Assert.That(refused.ErrorCode, Is.EqualTo(ErrorCode.SaslAuthenticationFailed));
        Assert.That(refused.ErrorMessage, Does.Contain("Cannot change principals during re-authentication from User.alice: User.bob"));
        Assert.That(await Client.IsClosedByServerAsync(Timeout.Token), Is.True);
        Assert.That(Logs.WithId(5014).Single().Message, Does.Contain("Cannot change principals"));
    }

    [Test]
    public async Task OtherRequest_InTheMiddleOfAReauthentication_ClosesTheConnection()
    {
        await ConnectAsync(Lifetime);
        await AuthenticatePlainAsync("alice", "wonderland");
        await SendAsync(1, new SaslHandshakeRequest { Mechanism = "PLAIN" });
        Assert.That((await ReceiveAsync<SaslHandshakeResponse>(1)).ErrorCode, Is.EqualTo(ErrorCode.None));

        await SendAsync(4, new MetadataRequest());

        Assert.That(await Client.IsClosedByServerAsync(Timeout.Token), Is.True);
        Assert.That(Logs.WithId(5012).Single().Message, Does.Contain("re-authentication"));
    }

    [Test]
    public async Task UnservedApi_BeforeAuthentication_ClosesTheConnection()
    {
        await ConnectAsync(Lifetime);

        await Client.SendAsync(Network.UnsupportedApiTests.Frame(ApiKey.DescribeAcls, 1, 1, flexible: false, []), Timeout.Token);

        Assert.That(await Client.IsClosedByServerAsync(Timeout.Token), Is.True);
        Assert.That(Logs.WithId(5012).Single().Message, Does.Contain("DescribeAcls during SASL handshake"));
    }
}
