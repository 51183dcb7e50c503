using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using LogStore.Network;
using LogStore.Network.Server;
using LogStore.Network.Transport;
using LogStore.Tests.Diagnostics;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Tests.Network;

/// <summary>The transports the listener's contract suite runs over.</summary>
public enum TransportKind
{
    InMemory,
    Tcp4,
    Tcp6,
    TlsOverTcp4,
}

/// <summary>A <see cref="KafkaListener"/> on one transport, with a way for clients to connect to it.</summary>
internal sealed class ListenerHarness : IAsyncDisposable
{
    private ListenerHarness(TransportKind kind, KafkaListener listener, IConnectionListenerFactory transport, IPEndPoint endpoint)
    {
        Kind = kind;
        Listener = listener;
        Transport = transport;
        Endpoint = endpoint;
    }

    public TransportKind Kind { get; }

    public KafkaListener Listener { get; }

    public IConnectionListenerFactory Transport { get; }

    public IPEndPoint Endpoint { get; }

    /// <summary>Bytes sent by sendfile so far (0 on the in-memory transport).</summary>
    public long SendFileBytes => (Transport as SocketConnectionListenerFactory)?.SendFileBytes ?? 0;

    public static async Task<ListenerHarness> StartAsync(TransportKind kind, IKafkaRequestHandler handler, CapturingLoggerFactory logs,
        TimeProvider? time = null, int socketRequestMaxBytes = 100 << 20, int maxConnections = int.MaxValue, TimeSpan? idle = null,
        CancellationToken cancellationToken = default)
    {
        if (kind == TransportKind.Tcp6 && !Ipv6LoopbackWorks())
            Assert.Ignore("::1 is not available on this machine");
        IPAddress address = kind == TransportKind.Tcp6 ? IPAddress.IPv6Loopback : IPAddress.Loopback;
        var options = new KafkaListenerOptions
        {
            Endpoint = new IPEndPoint(address, 0),
            SocketRequestMaxBytes = socketRequestMaxBytes,
            MaxConnections = maxConnections,
            ConnectionsMaxIdle = idle ?? TimeSpan.FromMinutes(10),
            Tls = kind == TransportKind.TlsOverTcp4
                ? new KafkaListenerTlsOptions
                {
                    ServerCertificate = TestCertificates.Server,
                    RequireClientCertificate = true,
                    TrustedClientCertificateAuthorities = [TestCertificates.Client],
                }
                : null,
        };
        IConnectionListenerFactory transport = kind == TransportKind.InMemory
            ? new InMemoryConnectionListenerFactory()
            : new SocketConnectionListenerFactory();
        var listener = new KafkaListener(options, handler, transport, time ?? TimeProvider.System, logs.CreateLogger("LogStore"));
        IPEndPoint endpoint = await listener.StartAsync(cancellationToken);
        return new ListenerHarness(kind, listener, transport, endpoint);
    }

    /// <summary>A new client connection; over TLS with the trusted client certificate unless another is given.</summary>
    public async Task<TestClient> ConnectAsync(CancellationToken cancellationToken, bool clientCertificate = true)
    {
        if (Transport is InMemoryConnectionListenerFactory memory)
            return new TestClient(await memory.ConnectAsync(cancellationToken));
        var socket = new Socket(Endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(Endpoint, cancellationToken);
        var stream = new NetworkStream(socket, ownsSocket: true);
        if (Kind != TransportKind.TlsOverTcp4)
            return TestClient.OverStream(stream);
        var tls = new SslStream(stream, leaveInnerStreamOpen: false);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == TestCertificates.Server.GetCertHashString(),
            ClientCertificates = clientCertificate ? [TestCertificates.Client] : null,
        }, cancellationToken);
        return TestClient.OverStream(tls);
    }

    public ValueTask StopAsync(TimeSpan deadline) => Listener.StopAsync(deadline);

    public ValueTask DisposeAsync() => Listener.StopAsync(TimeSpan.FromSeconds(10));

    private static bool Ipv6LoopbackWorks()
    {
        if (!Socket.OSSupportsIPv6)
            return false;
        try
        {
            using var probe = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
