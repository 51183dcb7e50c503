namespace LogStore.Protocol;

/// <summary>Heartbeat response (key 12, v0–v4, flexible from v4).</summary>
internal sealed class HeartbeatResponse : IKafkaMessage<HeartbeatResponse>, IKafkaResponse
{
    public static ApiKey ApiKey => ApiKey.Heartbeat;

    /// <summary>v1+.</summary>
    public int ThrottleTimeMs { get; set; }

    /// <summary>REBALANCE_IN_PROGRESS tells the member to rejoin.</summary>
    public ErrorCode ErrorCode { get; set; }

    public static HeartbeatResponse Read(ref KafkaReader reader, short version)
    {
        var response = new HeartbeatResponse();
        if (version >= 1)
            response.ThrottleTimeMs = reader.ReadInt32();
        response.ErrorCode = (ErrorCode)reader.ReadInt16();
        if (version >= 4)
            reader.SkipTaggedFields();
        return response;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        if (version >= 1)
            writer.WriteInt32(ThrottleTimeMs);
        writer.WriteInt16((short)ErrorCode);
        if (version >= 4)
            writer.WriteEmptyTaggedFields();
    }
}
