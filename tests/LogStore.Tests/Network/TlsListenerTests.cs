using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using LogStore.Tests.Diagnostics;

namespace LogStore.Tests.Network;

/// <summary>TLS with required client certificates: a client without one, or with one not trusted, is refused during
/// the handshake and the refusal logged; a trusted one is served.</summary>
public sealed class TlsListenerTests
{
    [Test]
    public async Task ClientWithoutCertificate_IsRefused_AndTheRefusalLogged()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var logs = new CapturingLoggerFactory();
        var handler = new TestRequestHandler();
        await using ListenerHarness harness = await ListenerHarness.StartAsync(TransportKind.TlsOverTcp4, handler, logs, cancellationToken: timeout.Token);

        bool refused = await TryRequestAsync(harness, certificate: null, timeout.Token);

        Assert.That(refused, Is.True, "a client without a certificate was served");
        await harness.StopAsync(TimeSpan.FromSeconds(10));
        Assert.That(handler.Requests, Is.Zero);
        Assert.That(logs.WithId(5010).Single().Message, Does.Contain("no certificate"));
    }

    [Test]
    public async Task ClientWithUntrustedCertificate_IsRefused_AndTheRefusalLogged()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var logs = new CapturingLoggerFactory();
        var handler = new TestRequestHandler();
        await using ListenerHarness harness = await ListenerHarness.StartAsync(TransportKind.TlsOverTcp4, handler, logs, cancellationToken: timeout.Token);

        bool refused = await TryRequestAsync(harness, TestCertificates.Stranger, timeout.Token);

        Assert.That(refused, Is.True, "a client with an untrusted certificate was served");
        await harness.StopAsync(TimeSpan.FromSeconds(10));
        Assert.That(handler.Requests, Is.Zero);
        Assert.That(logs.WithId(5010).Single().Message, Does.Contain("CN=stranger").And.Contain("not trusted"));
    }

    [Test]
    public async Task ClientWithTrustedCertificate_IsServed()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var logs = new CapturingLoggerFactory();
        var handler = new TestRequestHandler();
        await using ListenerHarness harness = await ListenerHarness.StartAsync(TransportKind.TlsOverTcp4, handler, logs, cancellationToken: timeout.Token);

        bool refused = await TryRequestAsync(harness, TestCertificates.Client, timeout.Token);

        Assert.That(refused, Is.False);
        Assert.That(handler.Requests, Is.EqualTo(1));
    }

    /// <summary>Handshakes with <paramref name="certificate"/> and sends one request: true if the server refused (the
    /// handshake failed, or with TLS 1.3 the connection closed after it), false if it answered.</summary>
    private static async Task<bool> TryRequestAsync(ListenerHarness harness, X509Certificate2? certificate, CancellationToken cancellationToken)
    {
        var socket = new Socket(harness.Endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(harness.Endpoint, cancellationToken);
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
                ClientCertificates = certificate is null ? null : [certificate],
            }, cancellationToken);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            await tls.DisposeAsync();
            return true;
        }
        await using var client = TestClient.OverStream(tls);
        try
        {
            await client.SendAsync(TestClient.Request(TestRequestHandler.Echo, 1), cancellationToken);
        }
        catch (IOException)
        {
            return true;
        }
        return await client.TryReadResponseAsync(cancellationToken) is null;
    }
}
