using LogStore.Network.Security;

namespace LogStore;

/// <summary>
/// SASL authentication on a Kafka listener (<see cref="KafkaListenerOptions.Sasl"/>), Kafka's SASL_PLAINTEXT and
/// SASL_SSL listeners: a client must authenticate with one of <see cref="EnabledMechanisms"/> before any request but
/// ApiVersions and the SASL handshake is served; any other request before that closes its connection, and a failed
/// authentication is answered SASL_AUTHENTICATION_FAILED, then closed. Every refusal is logged (event ids 5012-5014,
/// 5017 for an expired session).
/// </summary>
public sealed class KafkaListenerSaslOptions
{
    /// <summary>The mechanisms clients may use, in the order the handshake lists them. Default SCRAM-SHA-512 and
    /// SCRAM-SHA-256; PLAIN sends the password itself, so enable it over TLS only (sasl.enabled.mechanisms).</summary>
    public IReadOnlyList<SaslMechanism> EnabledMechanisms { get; init; } = [SaslMechanism.ScramSha512, SaslMechanism.ScramSha256];

    /// <summary>The users and their salted credentials; read at each authentication, so users may be added or removed
    /// while the listener runs (Kafka's SCRAM credentials in its metadata).</summary>
    public required SaslCredentialStore Credentials { get; init; }

    /// <summary>The largest request frame accepted before a connection has authenticated, in bytes: a larger one closes
    /// it, so that an unauthenticated peer cannot make the broker buffer up to
    /// <see cref="KafkaListenerOptions.SocketRequestMaxBytes"/>. Default 512 KiB (sasl.server.max.receive.size).</summary>
    public int MaxReceiveSize { get; init; } = 512 << 10;

    /// <summary>How long an authentication lasts (KIP-368): SaslAuthenticate v1+ tells the client this lifetime, and once it
    /// has passed, on the listener's <see cref="BrokerOptions.TimeProvider"/>, the connection is served nothing but a
    /// re-authentication (SaslHandshake v1 and SaslAuthenticate, as the same user); any other request closes it, logged.
    /// Clients re-authenticate before it ends (librdkafka 1.9+, the Java client 2.2+). Null, the default, never
    /// expires a session (connections.max.reauth.ms = 0).</summary>
    public TimeSpan? ConnectionsMaxReauth { get; init; }

    internal void Validate()
    {
        if (ConnectionsMaxReauth is { } reauth)
        {
            // A lifetime is sent in whole milliseconds; under one would tell the client "never".
            ArgumentOutOfRangeException.ThrowIfLessThan(reauth, TimeSpan.FromMilliseconds(1), nameof(ConnectionsMaxReauth));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(reauth, KafkaListenerOptions.MaxTimer, nameof(ConnectionsMaxReauth));
        }
        // A request header alone is 8 bytes (api key, version, correlation id).
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxReceiveSize, 8, nameof(MaxReceiveSize));
        ArgumentNullException.ThrowIfNull(Credentials, nameof(Credentials));
        ArgumentNullException.ThrowIfNull(EnabledMechanisms, nameof(EnabledMechanisms));
        if (EnabledMechanisms.Count == 0)
            throw new ArgumentException("At least one SASL mechanism must be enabled.", nameof(EnabledMechanisms));
        foreach (SaslMechanism mechanism in EnabledMechanisms)
            _ = mechanism.Name();   // throws for a value outside the enum
    }
}
