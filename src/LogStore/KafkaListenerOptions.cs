using System.Net;

namespace LogStore;

/// <summary>
/// A Kafka wire-protocol listener for a <see cref="Broker"/> (<see cref="BrokerOptions.KafkaListener"/>): the address
/// Kafka clients and tools (kcat, Confluent.Kafka) connect to, and the limits that keep one client from holding the
/// broker. Validated when the Broker opens (<see cref="ArgumentException"/>).
/// </summary>
public sealed class KafkaListenerOptions
{
    /// <summary>The address to listen on; port 0 lets the OS pick one (read it from <see cref="Broker.KafkaEndpoint"/>).
    /// Kafka's <c>listeners</c>.</summary>
    public required IPEndPoint Endpoint { get; init; }

    /// <summary>The largest request frame accepted, in bytes, checked against the 4-byte size prefix before any of the
    /// frame is buffered: a larger (or negative) size closes the connection. Default 100 MiB (socket.request.max.bytes).</summary>
    public int SocketRequestMaxBytes { get; init; } = 100 << 20;

    /// <summary>Most connections open at once; one more is closed as soon as it is accepted, and logged. Default
    /// <see cref="int.MaxValue"/> (max.connections).</summary>
    public int MaxConnections { get; init; } = int.MaxValue;

    /// <summary>How long a connection may stay without a request before it is closed; the broker's
    /// <see cref="BrokerOptions.TimeProvider"/> measures it. <see cref="Timeout.InfiniteTimeSpan"/> never closes one.
    /// Default 10 minutes (connections.max.idle.ms).</summary>
    public TimeSpan ConnectionsMaxIdle { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>TLS for every connection (Kafka's SSL listener); null, the default, serves plaintext. Over TLS fetched
    /// records are copied through the encryption instead of leaving by <c>sendfile</c>.</summary>
    public KafkaListenerTlsOptions? Tls { get; init; }

    /// <summary>Whether a client's Metadata request for a topic that does not exist creates it, with
    /// <see cref="BrokerOptions.DefaultTopicConfig"/>. Default true (Kafka's <c>auto.create.topics.enable</c>).</summary>
    public bool AutoCreateTopics { get; init; } = true;

    /// <summary>The host name clients are told to connect to (Metadata); null: the bound address, or this machine's name
    /// when listening on every address. Kafka's <c>advertised.listeners</c>.</summary>
    public string? AdvertisedHost { get; init; }

    /// <summary>SASL authentication (PLAIN, SCRAM-SHA-256/512) required of every client before it is served: with
    /// <see cref="Tls"/>, Kafka's SASL_SSL listener, else SASL_PLAINTEXT; null, the default, serves clients unauthenticated.</summary>
    public KafkaListenerSaslOptions? Sasl { get; init; }

    // The longest a timer can wait (uint.MaxValue - 1 ms, about 49 days).
    internal static readonly TimeSpan MaxTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Endpoint, nameof(Endpoint));
        // A request header alone is 8 bytes (api key, version, correlation id).
        ArgumentOutOfRangeException.ThrowIfLessThan(SocketRequestMaxBytes, 8, nameof(SocketRequestMaxBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConnections, 1, nameof(MaxConnections));
        if (ConnectionsMaxIdle != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectionsMaxIdle, TimeSpan.Zero, nameof(ConnectionsMaxIdle));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(ConnectionsMaxIdle, MaxTimer, nameof(ConnectionsMaxIdle));
        }
        Tls?.Validate();
        Sasl?.Validate();
    }
}
