using System.Net;
using System.Security.Cryptography.X509Certificates;
using LogStore.Network.Transport;
using LogStore.Tests.Diagnostics;

namespace LogStore.Tests.Network;

/// <summary>The TLS wrapper of the controller's listener: handshakes run side by side, so a peer that connects and
/// stays silent holds back no other peer.</summary>
public sealed class TlsConnectionListenerFactoryTests
{
    private static readonly EndPoint Endpoint = new IPEndPoint(IPAddress.Loopback, 19190);

    [Test]
    [CancelAfter(60_000)]
    public async Task ASilentPeer_DoesNotHoldBackTheNextPeersHandshake(CancellationToken cancellationToken)
    {
        var network = new InMemoryNetwork();
        var logs = new CapturingLoggerFactory();
        // A handshake timeout far past the bound below: accepted one at a time, the good peer would wait it out.
        var adapter = new TlsConnectionAdapter(new KafkaListenerTlsOptions
        {
            ServerCertificate = TestCertificates.Server,
            RequireClientCertificate = true,
            TrustedClientCertificateAuthorities = [X509CertificateLoader.LoadCertificate(TestCertificates.Client.RawData)],
            HandshakeTimeout = TimeSpan.FromMinutes(5),
        }, TimeProvider.System, logs.CreateLogger("tls"));
        await using var listener = await new TlsConnectionListenerFactory(network, adapter).BindAsync(Endpoint, cancellationToken);

        await using var silent = await network.ConnectAsync(Endpoint, cancellationToken);   // no ClientHello, ever
        Task<Microsoft.AspNetCore.Connections.ConnectionContext> connecting =
            ClientConnectionFactoryTests.TlsClient(network, TestCertificates.Client).ConnectAsync(Endpoint, cancellationToken).AsTask();
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(20));

        await using var accepted = await listener.AcceptAsync(bound.Token);
        await using var client = await connecting;
        Assert.That(accepted, Is.Not.Null, "the good peer was accepted while the silent one still holds its handshake");
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task AfterUnbind_AcceptAnswersNull(CancellationToken cancellationToken)
    {
        var network = new InMemoryNetwork();
        var adapter = new TlsConnectionAdapter(new KafkaListenerTlsOptions { ServerCertificate = TestCertificates.Server }, TimeProvider.System,
            new CapturingLoggerFactory().CreateLogger("tls"));
        await using var listener = await new TlsConnectionListenerFactory(network, adapter).BindAsync(Endpoint, cancellationToken);

        await listener.UnbindAsync(cancellationToken);

        Assert.That(await listener.AcceptAsync(cancellationToken), Is.Null);
    }
}
