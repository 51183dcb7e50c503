namespace LogStore.Protocol;

/// <summary>FindCoordinator response (key 10, v0–v3, flexible from v3).</summary>
internal sealed class FindCoordinatorResponse : IKafkaMessage<FindCoordinatorResponse>, IKafkaResponse
{
    public static ApiKey ApiKey => ApiKey.FindCoordinator;

    /// <summary>v1+.</summary>
    public int ThrottleTimeMs { get; set; }

    public ErrorCode ErrorCode { get; set; }

    /// <summary>v1+.</summary>
    public string? ErrorMessage { get; set; }

    public int NodeId { get; set; }

    public string Host { get; set; } = "";

    public int Port { get; set; }

    public static FindCoordinatorResponse Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 3;
        var response = new FindCoordinatorResponse();
        if (version >= 1)
            response.ThrottleTimeMs = reader.ReadInt32();
        response.ErrorCode = (ErrorCode)reader.ReadInt16();
        if (version >= 1)
            response.ErrorMessage = reader.ReadNullableString(flex);
        response.NodeId = reader.ReadInt32();
        response.Host = reader.ReadString(flex);
        response.Port = reader.ReadInt32();
        if (flex)
            reader.SkipTaggedFields();
        return response;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 3;
        if (version >= 1)
            writer.WriteInt32(ThrottleTimeMs);
        writer.WriteInt16((short)ErrorCode);
        if (version >= 1)
            writer.WriteNullableString(ErrorMessage, flex);
        writer.WriteInt32(NodeId);
        writer.WriteString(Host, flex);
        writer.WriteInt32(Port);
        if (flex)
            writer.WriteEmptyTaggedFields();
    }
}
