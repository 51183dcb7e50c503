using System.ComponentModel;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using LogStore.Diagnostics;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace LogStore.Network.Transport;

/// <summary>
/// Turns an accepted connection of any transport into a <see cref="TlsConnection"/>: the server certificate from
/// <see cref="KafkaListenerTlsOptions"/>, and when client certificates are required, a missing or untrusted one refused
/// in the validation callback. A refusal is logged with its reason and the connection closed. Runs on each
/// connection's own task, so a slow handshake holds only its connection. Thread-safe.
/// </summary>
internal sealed class TlsConnectionAdapter(KafkaListenerTlsOptions options, TimeProvider time, ILogger logger)
{
    /// <summary>The connection after a successful handshake, or null when it was refused (logged; the caller disposes
    /// <paramref name="inner"/>).</summary>
    public async ValueTask<ConnectionContext?> AuthenticateAsync(ConnectionContext inner, CancellationToken cancellationToken)
    {
        string? refusal = null;
        var sslStream = new SslStream(new DuplexPipeStream(inner.Transport), leaveInnerStreamOpen: false);
        var serverOptions = new SslServerAuthenticationOptions
        {
            ServerCertificate = options.ServerCertificate,
            ClientCertificateRequired = options.RequireClientCertificate,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                refusal = Refusal(certificate, errors);
                return refusal is null;
            },
        };
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
            return new TlsConnection(inner, sslStream);
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

    private string? Refusal(X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null)
            return options.RequireClientCertificate ? "the client sent no certificate, and one is required (ssl.client.auth=required)" : null;
        if (errors != SslPolicyErrors.None)
            return $"the client certificate '{certificate.Subject}' is not trusted ({errors})";
        return null;
    }
}
