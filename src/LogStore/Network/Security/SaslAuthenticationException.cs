namespace LogStore.Network.Security;

/// <summary>A client failed SASL authentication (Kafka's SaslAuthenticationException): its message goes back to the
/// client with SASL_AUTHENTICATION_FAILED, so it says what was wrong without saying which part of a credential.</summary>
internal sealed class SaslAuthenticationException(string message) : LogStoreException(message)
{
    /// <summary>Kafka's message for a wrong user or password, whatever the mechanism.</summary>
    public static SaslAuthenticationException InvalidCredentials(SaslMechanism mechanism) =>
        new($"Authentication failed during authentication due to invalid credentials with SASL mechanism {mechanism.Name()}");
}
