namespace LogStore.Protocol;

/// <summary>SaslAuthenticate request (key 36, v0–v2, flexible from v2): one client message of the SASL exchange.</summary>
internal sealed class SaslAuthenticateRequest : IKafkaMessage<SaslAuthenticateRequest>, IKafkaRequest
{
    public static ApiKey ApiKey => ApiKey.SaslAuthenticate;

    public byte[] AuthBytes { get; set; } = [];

    public ApiKey RequestApiKey => ApiKey;

    public IKafkaResponse ErrorResponse(ErrorCode errorCode) => new SaslAuthenticateResponse { ErrorCode = errorCode };

    public static SaslAuthenticateRequest Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 2;
        var request = new SaslAuthenticateRequest { AuthBytes = reader.ReadBytes(flex) };
        if (flex)
            reader.SkipTaggedFields();
        return request;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 2;
        writer.WriteBytes(AuthBytes, flex);
        if (flex)
            writer.WriteEmptyTaggedFields();
    }
}
