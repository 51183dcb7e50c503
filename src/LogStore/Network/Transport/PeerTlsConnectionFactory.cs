using System.Net;
using LogStore.Diagnostics;
using LogStore.Network.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace LogStore.Network.Transport;

/// <summary>
/// Outbound connections to the other nodes under peer TLS (<see cref="PeerTlsOptions"/>): the endpoint dialed says
/// which node must answer (a node's Kafka or controller endpoint), the handshake presents this node's certificate and
/// accepts only a trusted one naming that node (<see cref="PeerCertificates.ClientOptions"/>). A refused peer is logged
/// and the connect throws, so the caller's retry goes through the same check again. Thread-safe.
/// </summary>
internal sealed class PeerTlsConnectionFactory(IConnectionFactory inner, PeerCertificates peers, IReadOnlyDictionary<EndPoint, int> nodes,
    ILogger logger) : IConnectionFactory
{
    /// <exception cref="System.Security.Authentication.AuthenticationException">The peer's certificate is refused, or
    /// the peer refused ours.</exception>
    /// <exception cref="ArgumentException"><paramref name="endpoint"/> is no node's endpoint.</exception>
    public ValueTask<ConnectionContext> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (!nodes.TryGetValue(endpoint, out int nodeId))
            throw new ArgumentException($"{endpoint} is no node's endpoint: peer TLS cannot tell which certificate it should present.", nameof(endpoint));
        var options = peers.ClientOptions(nodeId, why => NetworkLog.PeerRefused(logger, nodeId, endpoint, why));
        return new TlsClientConnectionFactory(inner, options).ConnectAsync(endpoint, cancellationToken);
    }
}
