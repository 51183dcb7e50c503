using System.Net;
using System.Text;
using LogStore.Network.Client;
using LogStore.Network.Security;
using LogStore.Network.Transport;
using LogStore.Protocol;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Network.Apis;

/// <summary>The controller APIs sit behind the listener's SASL gate like every other API: an unauthenticated peer
/// cannot register or change an ISR.</summary>
[TestFixture]
public sealed class ControllerApisSaslTests
{
    private static readonly IPEndPoint Endpoint = new(IPAddress.Loopback, 9092);

    [Test]
    public async Task ControllerApis_BeforeSaslAuthentication_CloseTheConnection_AndAfterItAreAnswered()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var directory = new TempDirectory();
        var network = new InMemoryNetwork();
        var credentials = new SaslCredentialStore();
        credentials.AddUser("node", "secret");
        await using var broker = await Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = directory.Path,
            KafkaTransport = network,
            KafkaListener = new KafkaListenerOptions
            {
                Endpoint = Endpoint,
                Sasl = new KafkaListenerSaslOptions { Credentials = credentials, EnabledMechanisms = [SaslMechanism.Plain] },
            },
        }, timeout.Token);
        var register = new BrokerRegistrationRequest { BrokerId = 1, NodeEpoch = 1, Listeners = [new() { Name = "SASL_PLAINTEXT", Host = "h", Port = 1 }] };

        await using (var anonymous = await Connect(network, timeout.Token))
        {
            Assert.ThrowsAsync<NetworkException>(async () =>
                await anonymous.SendAsync<BrokerRegistrationRequest, BrokerRegistrationResponse>(register, 4, TimeSpan.FromSeconds(10), timeout.Token));
        }

        await using var authenticated = await Connect(network, timeout.Token);
        await authenticated.SendAsync<SaslHandshakeRequest, SaslHandshakeResponse>(new SaslHandshakeRequest { Mechanism = "PLAIN" }, 1, TimeSpan.FromSeconds(10), timeout.Token);
        var auth = await authenticated.SendAsync<SaslAuthenticateRequest, SaslAuthenticateResponse>(
            new SaslAuthenticateRequest { AuthBytes = Encoding.UTF8.GetBytes("\0node\0secret") }, 2, TimeSpan.FromSeconds(10), timeout.Token);
        Assert.That(auth.ErrorCode, Is.EqualTo(ErrorCode.None));
        var registered = await authenticated.SendAsync<BrokerRegistrationRequest, BrokerRegistrationResponse>(register, 4, TimeSpan.FromSeconds(10), timeout.Token);
        // This broker runs no controller: an authenticated peer is told to look elsewhere.
        Assert.That(registered.ErrorCode, Is.EqualTo(ErrorCode.NotController));
    }

    private static async Task<KafkaClientConnection> Connect(InMemoryNetwork network, CancellationToken cancellationToken) =>
        await KafkaClientConnection.ConnectAsync(network, Endpoint, "sasl-test", 1 << 20, TimeProvider.System, cancellationToken);
}
