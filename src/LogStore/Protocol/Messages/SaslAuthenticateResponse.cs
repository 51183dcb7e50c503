namespace LogStore.Protocol;

/// <summary>SaslAuthenticate response (key 36, v0–v2, flexible from v2): the server's SASL message, or why it failed.</summary>
internal sealed class SaslAuthenticateResponse : IKafkaMessage<SaslAuthenticateResponse>, IKafkaResponse
{
    public static ApiKey ApiKey => ApiKey.SaslAuthenticate;

    public ErrorCode ErrorCode { get; set; }

    public string? ErrorMessage { get; set; }

    public byte[] AuthBytes { get; set; } = [];

    /// <summary>v1+: when the client must re-authenticate (KIP-368), 0 for never.</summary>
    public long SessionLifetimeMs { get; set; }

    public static SaslAuthenticateResponse Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 2;
        var response = new SaslAuthenticateResponse
        {
            ErrorCode = (ErrorCode)reader.ReadInt16(),
            ErrorMessage = reader.ReadNullableString(flex),
            AuthBytes = reader.ReadBytes(flex),
        };
        if (version >= 1)
            response.SessionLifetimeMs = reader.ReadInt64();
        if (flex)
            reader.SkipTaggedFields();
        return response;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 2;
        writer.WriteInt16((short)ErrorCode);
        writer.WriteNullableString(ErrorMessage, flex);
        writer.WriteBytes(AuthBytes, flex);
        if (version >= 1)
            writer.WriteInt64(SessionLifetimeMs);
        if (flex)
            writer.WriteEmptyTaggedFields();
    }
}
