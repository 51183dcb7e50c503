namespace LogStore;

/// <summary>The SASL mechanisms a Kafka listener can authenticate clients with (<see cref="KafkaListenerSaslOptions"/>),
/// Kafka's <c>sasl.enabled.mechanisms</c>.</summary>
public enum SaslMechanism
{
    /// <summary>PLAIN (RFC 4616): the client sends its user name and password; use it over TLS only.</summary>
    Plain,

    /// <summary>SCRAM-SHA-256 (RFC 7677): a salted challenge-response; the password never crosses the wire.</summary>
    ScramSha256,

    /// <summary>SCRAM-SHA-512: SCRAM with SHA-512 (as Kafka names and implements it).</summary>
    ScramSha512,
}
