using LogStore.Network.Transport;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Cluster.Node;

/// <summary>
/// The transports between the nodes: the connections a node opens to the others (fetchers, the controller channel,
/// Raft, group offsets) and its controller listener — the options' transports (TCP by default), wrapped in TLS with
/// mutual certificate authentication when <see cref="ReplicationOptions.PeerTls"/> is set. Stateless.
/// </summary>
internal static class PeerTransport
{
    /// <summary>Outbound connections to the other nodes.</summary>
    public static IConnectionFactory Connections(Broker broker, ReplicationOptions options)
    {
        IConnectionFactory inner = options.ConnectionFactory ?? new SocketConnectionFactory();
        return options.Peers is { } peers ? new PeerTlsConnectionFactory(inner, peers, options.NodeEndpoints, broker.Logger) : inner;
    }

    /// <summary>The controller's listener: under peer TLS only a peer whose certificate is trusted and names a node of
    /// the cluster gets through; the rest are refused and logged.</summary>
    public static IConnectionListenerFactory ControllerListener(Broker broker, ReplicationOptions options)
    {
        IConnectionListenerFactory inner = options.ControllerTransport ?? new SocketConnectionListenerFactory();
        if (options.Peers is not { } peers)
            return inner;
        var tls = new KafkaListenerTlsOptions
        {
            ServerCertificate = peers.Certificate,
            RequireClientCertificate = true,
            TrustedClientCertificateAuthorities = peers.Authorities,
            HandshakeTimeout = peers.HandshakeTimeout,
        };
        return new TlsConnectionListenerFactory(inner,
            new TlsConnectionAdapter(tls, broker.Options.TimeProvider, broker.Logger, peers, peersOnly: true, selfNodeId: options.NodeId));
    }
}
