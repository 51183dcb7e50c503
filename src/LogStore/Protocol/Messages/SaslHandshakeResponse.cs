namespace LogStore.Protocol;

/// <summary>SaslHandshake response (key 17, v0–v1): UNSUPPORTED_SASL_MECHANISM and the ones enabled, or NONE.</summary>
internal sealed class SaslHandshakeResponse : IKafkaMessage<SaslHandshakeResponse>, IKafkaResponse
{
    public static ApiKey ApiKey => ApiKey.SaslHandshake;

    public ErrorCode ErrorCode { get; set; }

    public List<string> Mechanisms { get; set; } = [];

    public static SaslHandshakeResponse Read(ref KafkaReader reader, short version) =>
        new() { ErrorCode = (ErrorCode)reader.ReadInt16(), Mechanisms = reader.ReadStringArray(compact: false) };

    public void Write(ref KafkaWriter writer, short version)
    {
        writer.WriteInt16((short)ErrorCode);
        writer.WriteStringArray(Mechanisms, compact: false);
    }
}
