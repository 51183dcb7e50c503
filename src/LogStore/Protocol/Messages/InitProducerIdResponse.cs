namespace LogStore.Protocol;

/// <summary>InitProducerId response (key 22, v0–v4, flexible from v2).</summary>
internal sealed class InitProducerIdResponse : IKafkaMessage<InitProducerIdResponse>, IKafkaResponse
{
    public static ApiKey ApiKey => ApiKey.InitProducerId;

    public int ThrottleTimeMs { get; set; }

    public ErrorCode ErrorCode { get; set; }

    public long ProducerId { get; set; } = -1;

    public short ProducerEpoch { get; set; }

    public static InitProducerIdResponse Read(ref KafkaReader reader, short version)
    {
        var response = new InitProducerIdResponse
        {
            ThrottleTimeMs = reader.ReadInt32(),
            ErrorCode = (ErrorCode)reader.ReadInt16(),
            ProducerId = reader.ReadInt64(),
            ProducerEpoch = reader.ReadInt16(),
        };
        if (version >= 2)
            reader.SkipTaggedFields();
        return response;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        writer.WriteInt32(ThrottleTimeMs);
        writer.WriteInt16((short)ErrorCode);
        writer.WriteInt64(ProducerId);
        writer.WriteInt16(ProducerEpoch);
        if (version >= 2)
            writer.WriteEmptyTaggedFields();
    }
}
