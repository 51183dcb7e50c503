using System.Security.Cryptography.X509Certificates;

namespace LogStore;

/// <summary>TLS settings of a Kafka listener (<see cref="KafkaListenerOptions.Tls"/>), named after Kafka's <c>ssl.*</c>
/// broker settings. A refused handshake is logged with its reason (event id 5010).</summary>
public sealed class KafkaListenerTlsOptions
{
    /// <summary>The server's certificate, with its private key (ssl.keystore.location).</summary>
    public required X509Certificate2 ServerCertificate { get; init; }

    /// <summary>True to require a trusted client certificate: a client without one, or with one not trusted, is refused
    /// during the handshake. Default false (ssl.client.auth=none).</summary>
    public bool RequireClientCertificate { get; init; }

    /// <summary>The certificates a client certificate's chain must end in; null, the default, trusts the OS's store
    /// (ssl.truststore.location).</summary>
    public X509Certificate2Collection? TrustedClientCertificateAuthorities { get; init; }

    /// <summary>How long a client may take to finish the TLS handshake before it is closed. Default 10 seconds.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(ServerCertificate, nameof(ServerCertificate));
        if (!ServerCertificate.HasPrivateKey)
            throw new ArgumentException("The server certificate has no private key: TLS needs one to prove the server's identity.", nameof(ServerCertificate));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(HandshakeTimeout, TimeSpan.Zero, nameof(HandshakeTimeout));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(HandshakeTimeout, KafkaListenerOptions.MaxTimer, nameof(HandshakeTimeout));
    }
}
