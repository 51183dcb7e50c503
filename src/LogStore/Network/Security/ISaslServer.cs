namespace LogStore.Network.Security;

/// <summary>One mechanism's side of one authentication (javax.security.sasl.SaslServer as Kafka uses it): takes each
/// client message, answers the next challenge, and throws <see cref="SaslAuthenticationException"/> on bad input or
/// credentials. Not thread-safe: one per connection, called in order.</summary>
internal interface ISaslServer
{
    /// <summary>The client's next message; returns the server's answer (empty when there is none).</summary>
    byte[] EvaluateResponse(ReadOnlySpan<byte> response);

    /// <summary>True once the client is authenticated.</summary>
    bool IsComplete { get; }

    /// <summary>The authenticated user, once <see cref="IsComplete"/>.</summary>
    string? AuthorizationId { get; }
}
