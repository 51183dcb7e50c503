namespace LogStore.Protocol;

/// <summary>BrokerRegistration response (key 62, v0–v4, flexible from v0): the epoch the node is registered with.</summary>
internal sealed class BrokerRegistrationResponse : IKafkaMessage<BrokerRegistrationResponse>, IKafkaResponse
{
    public static ApiKey ApiKey => ApiKey.BrokerRegistration;

    public int ThrottleTimeMs { get; set; }

    public ErrorCode ErrorCode { get; set; }

    /// <summary>The node's registered epoch, -1 when none was assigned.</summary>
    public long BrokerEpoch { get; set; } = -1;

    public static BrokerRegistrationResponse Read(ref KafkaReader reader, short version)
    {
        var response = new BrokerRegistrationResponse
        {
            ThrottleTimeMs = reader.ReadInt32(),
            ErrorCode = (ErrorCode)reader.ReadInt16(),
            BrokerEpoch = reader.ReadInt64(),
        };
        reader.SkipTaggedFields();
        return response;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        writer.WriteInt32(ThrottleTimeMs);
        writer.WriteInt16((short)ErrorCode);
        writer.WriteInt64(BrokerEpoch);
        writer.WriteEmptyTaggedFields();
    }
}
