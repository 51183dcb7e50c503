using System.Security.Cryptography.X509Certificates;

namespace LogStore;

/// <summary>
/// TLS with mutual certificate authentication between the nodes of a cluster (<see cref="ReplicationOptions.PeerTls"/>),
/// Kafka's <c>security.inter.broker.protocol=SSL</c> with <c>ssl.client.auth=required</c> for the controller listener.
/// Each node holds a certificate whose subject common name names it: <c>CN=node-&lt;id&gt;</c> (<see cref="NodeName"/>;
/// the id in decimal, e.g. <c>CN=node-2</c>), issued by one of <see cref="TrustedCertificateAuthorities"/>.
/// When set:
/// <list type="bullet">
/// <item>the Raft controller listener and every controller connection run TLS; a peer whose certificate is missing,
/// not issued by a trusted authority, or names no node of <see cref="ReplicationOptions.Nodes"/> is refused, logged
/// (event id 5010);</item>
/// <item>the connections a node opens to another's Kafka listener (fetchers, the controller channel, group offsets)
/// present this node's certificate, and accept only a server certificate that names the node dialed;</item>
/// <item>the Kafka listener must have TLS (<see cref="KafkaListenerOptions.Tls"/>): a peer asks for its node name by SNI
/// and is answered with <see cref="Certificate"/>, any other client with the listener's own certificate; inter-node
/// requests (Fetch or OffsetForLeaderEpoch with a replica id, BrokerRegistration, BrokerHeartbeat, AlterPartition) are
/// served only on a connection whose client certificate names that very node, and otherwise answered
/// CLUSTER_AUTHORIZATION_FAILED, logged (event id 5019).</item>
/// </list>
/// Validated when the Broker opens (<see cref="ArgumentException"/>).
/// </summary>
public sealed class PeerTlsOptions
{
    /// <summary>This node's certificate, with its private key, named <c>CN=node-&lt;id&gt;</c> after
    /// <see cref="ReplicationOptions.NodeId"/> and issued by one of <see cref="TrustedCertificateAuthorities"/>
    /// (ssl.keystore.location).</summary>
    public required X509Certificate2 Certificate { get; init; }

    /// <summary>The certificates a peer's certificate must chain to; the only trust anchors, the OS's store is not
    /// consulted (ssl.truststore.location). At least one.</summary>
    public required X509Certificate2Collection TrustedCertificateAuthorities { get; init; }

    /// <summary>How long a peer may take to finish the TLS handshake on the controller listener before it is closed.
    /// Default 10 seconds.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The name a certificate gives node <paramref name="nodeId"/>: <c>node-&lt;id&gt;</c>, its subject's common
    /// name (and the SNI host name a peer asks for).</summary>
    public static string NodeName(int nodeId) => "node-" + nodeId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    internal void Validate(int nodeId)
    {
        ArgumentNullException.ThrowIfNull(Certificate, nameof(Certificate));
        ArgumentNullException.ThrowIfNull(TrustedCertificateAuthorities, nameof(TrustedCertificateAuthorities));
        if (TrustedCertificateAuthorities.Count == 0)
            throw new ArgumentException("Peer TLS needs at least one trusted certificate authority.", nameof(TrustedCertificateAuthorities));
        if (!Certificate.HasPrivateKey)
            throw new ArgumentException("This node's certificate has no private key: TLS needs one to prove the node's identity.", nameof(Certificate));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(HandshakeTimeout, TimeSpan.Zero, nameof(HandshakeTimeout));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(HandshakeTimeout, KafkaListenerOptions.MaxTimer, nameof(HandshakeTimeout));
        var peers = new Network.Security.PeerCertificates(this, []);
        if (Network.Security.PeerCertificates.NodeIdOf(Certificate) != nodeId)
            throw new ArgumentException($"This node's certificate '{Certificate.Subject}' does not name node {nodeId} (CN={NodeName(nodeId)}): its peers would refuse it.", nameof(Certificate));
        if (!peers.IsTrusted(Certificate, out string? why))
            throw new ArgumentException($"This node's certificate '{Certificate.Subject}' does not chain to the trusted authorities ({why}): its peers would refuse it.", nameof(Certificate));
    }
}
