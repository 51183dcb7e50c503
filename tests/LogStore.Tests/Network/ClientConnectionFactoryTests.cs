using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using LogStore.Network.Transport;
using LogStore.Tests.Diagnostics;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging.Abstractions;

namespace LogStore.Tests.Network;

/// <summary>Outbound connections on our transports (what the Raft controller connects with): in-memory by endpoint,
/// TCP, and TLS with mutual certificate authentication over either.</summary>
public sealed class ClientConnectionFactoryTests
{
    private static readonly EndPoint First = new IPEndPoint(IPAddress.Loopback, 19180);
    private static readonly EndPoint Second = new IPEndPoint(IPAddress.Loopback, 19181);

    [Test]
    public async Task InMemoryNetwork_ConnectsToTheListenerBoundAtTheEndpoint()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var network = new InMemoryNetwork();
        await using var first = await network.BindAsync(First, timeout.Token);
        await using var second = await network.BindAsync(Second, timeout.Token);

        await using var client = await network.ConnectAsync(Second, timeout.Token);
        await using var server = (await second.AcceptAsync(timeout.Token))!;

        await ExchangeAsync(client, server, timeout.Token);
        Assert.That(client.RemoteEndPoint, Is.EqualTo(Second));
    }

    [Test]
    public async Task InMemoryNetwork_RefusesAnUnboundOrIsolatedEndpoint()
    {
        var network = new InMemoryNetwork();
        await using var first = await network.BindAsync(First);

        Assert.ThrowsAsync<SocketException>(async () => await network.ConnectAsync(Second));
        network.Isolate(First);
        Assert.ThrowsAsync<SocketException>(async () => await network.ConnectAsync(First));
        network.Heal(First);
        await using var healed = await network.ConnectAsync(First);
    }

    [Test]
    public async Task InMemoryNetwork_Isolate_SeversOpenConnections()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var network = new InMemoryNetwork();
        await using var listener = await network.BindAsync(First, timeout.Token);
        await using var client = await network.For(Second).ConnectAsync(First, timeout.Token);
        await using var server = (await listener.AcceptAsync(timeout.Token))!;
        await ExchangeAsync(client, server, timeout.Token);

        network.Isolate(Second);

        Assert.That(await ReadAsync(client, 1, timeout.Token), Is.Empty, "the client's input ends");
        Assert.That(await ReadAsync(server, 1, timeout.Token), Is.Empty, "the server's input ends");
        Assert.ThrowsAsync<SocketException>(async () => await network.For(Second).ConnectAsync(First, timeout.Token));
    }

    [Test]
    public async Task SocketConnectionFactory_ConnectsToTheSocketListener()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var listener = await new SocketConnectionListenerFactory().BindAsync(new IPEndPoint(IPAddress.Loopback, 0), timeout.Token);

        await using var client = await new SocketConnectionFactory().ConnectAsync(listener.EndPoint, timeout.Token);
        await using var server = (await listener.AcceptAsync(timeout.Token))!;

        await ExchangeAsync(client, server, timeout.Token);
    }

    [Test]
    public async Task Tls_WithTrustedCertificatesBothWays_Exchanges()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var network = new InMemoryNetwork();
        await using var listener = await TlsListener(network, new CapturingLoggerFactory()).BindAsync(First, timeout.Token);

        var accepted = listener.AcceptAsync(timeout.Token).AsTask();
        await using var client = await TlsClient(network, TestCertificates.Client).ConnectAsync(First, timeout.Token);
        await using var server = (await accepted)!;

        await ExchangeAsync(client, server, timeout.Token);
    }

    [Test]
    public async Task Tls_WithAnUntrustedClientCertificate_IsRefusedAndLogged()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var network = new InMemoryNetwork();
        var logs = new CapturingLoggerFactory();
        await using var listener = await TlsListener(network, logs).BindAsync(First, timeout.Token);
        using var stopAccepting = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        var accepted = listener.AcceptAsync(stopAccepting.Token).AsTask();

        // Under TLS 1.3 the client may finish its side before the server checks the client's certificate; then the
        // refusal shows as the end of the connection instead of a failed handshake.
        try
        {
            await using var client = await TlsClient(network, TestCertificates.Stranger).ConnectAsync(First, timeout.Token);
            Assert.That(await ReadAsync(client, 1, timeout.Token), Is.Empty, "the refused client read nothing");
        }
        catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException)
        {
        }
        while (logs.Entries.Count == 0)
            await Task.Delay(10, timeout.Token);
        stopAccepting.Cancel();
        Assert.That(async () => await accepted, Throws.InstanceOf<OperationCanceledException>(), "the refused peer was never handed over");
        Assert.That(logs.Entries.Select(e => e.Message), Has.Some.Contains("not trusted"));
    }

    internal static TlsConnectionListenerFactory TlsListener(IConnectionListenerFactory inner, Microsoft.Extensions.Logging.ILoggerFactory logs)
        => new(inner, new TlsConnectionAdapter(new KafkaListenerTlsOptions
        {
            ServerCertificate = TestCertificates.Server,
            RequireClientCertificate = true,
            TrustedClientCertificateAuthorities = [X509CertificateLoader.LoadCertificate(TestCertificates.Client.RawData)],
        }, TimeProvider.System, logs.CreateLogger("tls")));

    internal static TlsClientConnectionFactory TlsClient(IConnectionFactory inner, X509Certificate2 certificate)
        => new(inner, new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ClientCertificates = [certificate],
            // Test roots are self-signed: trust exactly the server's certificate.
            RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == TestCertificates.Server.GetCertHashString(),
        });

    private static async Task ExchangeAsync(ConnectionContext client, ConnectionContext server, CancellationToken cancellationToken)
    {
        await client.Transport.Output.WriteAsync("ping"u8.ToArray(), cancellationToken);
        Assert.That(await ReadAsync(server, 4, cancellationToken), Is.EqualTo("ping"u8.ToArray()));
        await server.Transport.Output.WriteAsync("pong"u8.ToArray(), cancellationToken);
        Assert.That(await ReadAsync(client, 4, cancellationToken), Is.EqualTo("pong"u8.ToArray()));
    }

    private static async Task<byte[]> ReadAsync(ConnectionContext connection, int count, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await connection.Transport.Input.ReadAsync(cancellationToken);
            if (result.Buffer.Length >= count || result.IsCompleted)
            {
                byte[] bytes = result.Buffer.Slice(0, Math.Min(count, result.Buffer.Length)).ToArray();
                connection.Transport.Input.AdvanceTo(result.Buffer.GetPosition(bytes.Length));
                return bytes;
            }
            connection.Transport.Input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }
}
