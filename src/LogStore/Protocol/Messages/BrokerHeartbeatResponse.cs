namespace LogStore.Protocol;

/// <summary>BrokerHeartbeat response (key 63, v0–v1, flexible from v0): the node's state as the controller sees it.</summary>
internal sealed class BrokerHeartbeatResponse : IKafkaMessage<BrokerHeartbeatResponse>, IKafkaResponse
{
    public static ApiKey ApiKey => ApiKey.BrokerHeartbeat;

    public int ThrottleTimeMs { get; set; }

    public ErrorCode ErrorCode { get; set; }

    /// <summary>The node has about caught up with the controller log.</summary>
    public bool IsCaughtUp { get; set; }

    /// <summary>The node is fenced: it leads nothing. Kafka's default is true.</summary>
    public bool IsFenced { get; set; } = true;

    /// <summary>The node may finish its shutdown.</summary>
    public bool ShouldShutDown { get; set; }

    public static BrokerHeartbeatResponse Read(ref KafkaReader reader, short version)
    {
        var response = new BrokerHeartbeatResponse
        {
            ThrottleTimeMs = reader.ReadInt32(),
            ErrorCode = (ErrorCode)reader.ReadInt16(),
            IsCaughtUp = reader.ReadBool(),
            IsFenced = reader.ReadBool(),
            ShouldShutDown = reader.ReadBool(),
        };
        reader.SkipTaggedFields();
        return response;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        writer.WriteInt32(ThrottleTimeMs);
        writer.WriteInt16((short)ErrorCode);
        writer.WriteBool(IsCaughtUp);
        writer.WriteBool(IsFenced);
        writer.WriteBool(ShouldShutDown);
        writer.WriteEmptyTaggedFields();
    }
}
