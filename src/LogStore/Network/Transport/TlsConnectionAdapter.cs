using System.ComponentModel;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using LogStore.Diagnostics;
using LogStore.Network.Features;
using LogStore.Network.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace LogStore.Network.Transport;

/// <summary>
/// Turns an accepted connection of any transport into a <see cref="TlsConnection"/>: the server certificate from
/// <see cref="KafkaListenerTlsOptions"/>, and when client certificates are required, a missing or untrusted one refused
/// in the validation callback. A refusal is logged with its reason and the connection closed. Runs on each
/// connection's own task, so a slow handshake holds only its connection. With <paramref name="peers"/> (peer TLS) a
/// client certificate is asked for, and one that proves a cluster node (<see cref="PeerCertificates.Identify"/>) is
/// accepted and recorded as the connection's <see cref="PeerNodeFeature"/>; a peer asking for its node name by SNI gets
/// the peer certificate; when <paramref name="peersOnly"/> (the controller listener) nothing else is accepted.
/// Thread-safe.
/// </summary>
internal sealed class TlsConnectionAdapter(KafkaListenerTlsOptions options, TimeProvider time, ILogger logger,
    PeerCertificates? peers = null, bool peersOnly = false, int selfNodeId = -1)
{
    private readonly string? _selfName = peers is null ? null : PeerTlsOptions.NodeName(selfNodeId);

    /// <summary>The connection after a successful handshake, or null when it was refused (logged; the caller disposes
    /// <paramref name="inner"/>).</summary>
    public async ValueTask<ConnectionContext?> AuthenticateAsync(ConnectionContext inner, CancellationToken cancellationToken)
    {
        string? refusal = null;
        int? peerNodeId = null;
        var sslStream = new SslStream(new DuplexPipeStream(inner.Transport), leaveInnerStreamOpen: false);
        var serverOptions = new SslServerAuthenticationOptions
        {
            ClientCertificateRequired = options.RequireClientCertificate || peers is not null,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                (peerNodeId, refusal) = peers is null ? (null, Refusal(certificate, errors)) : PeerRefusal(peers, certificate, errors);
                return refusal is null;
            },
        };
        if (peers is not null && !peersOnly)
            serverOptions.ServerCertificateSelectionCallback = (_, host) => host == _selfName ? peers.Certificate : options.ServerCertificate;
        else
            serverOptions.ServerCertificate = options.ServerCertificate;
        if (options.TrustedClientCertificateAuthorities is { } authorities)
        {
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.AddRange(authorities);
            serverOptions.CertificateChainPolicy = policy;
        }
        using var timeout = new CancellationTokenSource(options.HandshakeTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken, inner.ConnectionClosed);
        try
        {
            await sslStream.AuthenticateAsServerAsync(serverOptions, linked.Token).ConfigureAwait(false);
            var connection = new TlsConnection(inner, sslStream);
            if (peerNodeId is int node)
                connection.Features.Set(new PeerNodeFeature(node));
            return connection;
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException or Win32Exception)
        {
            string reason = refusal ?? (timeout.IsCancellationRequested ? $"no handshake within {options.HandshakeTimeout.TotalSeconds} s"
                : e is OperationCanceledException ? "the listener is stopping" : e.Message);
            NetworkLog.TlsRefused(logger, inner.ConnectionId, inner.RemoteEndPoint, reason, refusal is null ? e : null);
            await sslStream.DisposeAsync().ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>Peer TLS: a certificate proving a node is accepted as that node; on the controller listener nothing
    /// else is; on a Kafka listener any other client is judged by the listener's own rules, except that a certificate it
    /// was not required to send (it was asked for because of peers) is ignored rather than refused.</summary>
    private (int? Node, string? Refusal) PeerRefusal(PeerCertificates peers, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (peers.Identify(certificate, out string? notPeer) is int node)
            return (node, null);
        if (peersOnly)
            return (null, notPeer);
        if (certificate is not null && errors != SslPolicyErrors.None && !options.RequireClientCertificate)
            return (null, null);
        return (null, Refusal(certificate, errors));
    }

    private string? Refusal(X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null)
            return options.RequireClientCertificate ? "the client sent no certificate, and one is required (ssl.client.auth=required)" : null;
        if (errors != SslPolicyErrors.None)
            return $"the client certificate '{certificate.Subject}' is not trusted ({errors})";
        return null;
    }
}
