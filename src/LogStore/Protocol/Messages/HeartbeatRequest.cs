namespace LogStore.Protocol;

/// <summary>Heartbeat request (key 12, v0–v4, flexible from v4): a group member says it is alive.</summary>
internal sealed class HeartbeatRequest : IKafkaMessage<HeartbeatRequest>, IKafkaRequest
{
    public static ApiKey ApiKey => ApiKey.Heartbeat;

    public string GroupId { get; set; } = "";

    public int GenerationId { get; set; }

    public string MemberId { get; set; } = "";

    /// <summary>v3+: the static member's id (KIP-345), null for a dynamic member.</summary>
    public string? GroupInstanceId { get; set; }

    public ApiKey RequestApiKey => ApiKey;

    public IKafkaResponse ErrorResponse(ErrorCode errorCode) => new HeartbeatResponse { ErrorCode = errorCode };

    public static HeartbeatRequest Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 4;
        var request = new HeartbeatRequest
        {
            GroupId = reader.ReadString(flex),
            GenerationId = reader.ReadInt32(),
            MemberId = reader.ReadString(flex),
        };
        if (version >= 3)
            request.GroupInstanceId = reader.ReadNullableString(flex);
        if (flex)
            reader.SkipTaggedFields();
        return request;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 4;
        writer.WriteString(GroupId, flex);
        writer.WriteInt32(GenerationId);
        writer.WriteString(MemberId, flex);
        if (version >= 3)
            writer.WriteNullableString(GroupInstanceId, flex);
        if (flex)
            writer.WriteEmptyTaggedFields();
    }
}
