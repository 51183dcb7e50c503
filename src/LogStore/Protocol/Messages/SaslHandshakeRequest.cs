namespace LogStore.Protocol;

/// <summary>
/// SaslHandshake request (key 17, v0–v1, never flexible): the SASL mechanism the client wants. From v1 the exchange
/// that follows is framed as SaslAuthenticate requests; after v0 the tokens come raw, framed by their size only (SaslServerAuthenticator.HandleRawToken).
/// </summary>
internal sealed class SaslHandshakeRequest : IKafkaMessage<SaslHandshakeRequest>, IKafkaRequest
{
    public static ApiKey ApiKey => ApiKey.SaslHandshake;

    /// <summary>PLAIN, SCRAM-SHA-256, SCRAM-SHA-512…</summary>
    public string Mechanism { get; set; } = "";

    public ApiKey RequestApiKey => ApiKey;

    public IKafkaResponse ErrorResponse(ErrorCode errorCode) => new SaslHandshakeResponse { ErrorCode = errorCode };

    public static SaslHandshakeRequest Read(ref KafkaReader reader, short version) =>
        new() { Mechanism = reader.ReadString(compact: false) };

    public void Write(ref KafkaWriter writer, short version) => writer.WriteString(Mechanism, compact: false);
}
