namespace LogStore.Network.Features;

/// <summary>The cluster node a connection's client certificate proved it to be (peer TLS, <see cref="PeerTlsOptions"/>):
/// set by the TLS handshake, read by the inter-node requests' identity check. Absent on any other connection.</summary>
/// <param name="NodeId">The node id the trusted certificate names.</param>
internal sealed record PeerNodeFeature(int NodeId);
