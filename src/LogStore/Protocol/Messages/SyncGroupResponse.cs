namespace LogStore.Protocol;

/// <summary>SyncGroup response (key 14, v0–v5, flexible from v4): the member's assignment.</summary>
internal sealed class SyncGroupResponse : IKafkaMessage<SyncGroupResponse>, IKafkaResponse
{
    public static ApiKey ApiKey => ApiKey.SyncGroup;

    /// <summary>v1+.</summary>
    public int ThrottleTimeMs { get; set; }

    public ErrorCode ErrorCode { get; set; }

    /// <summary>v5+.</summary>
    public string? ProtocolType { get; set; }

    /// <summary>v5+.</summary>
    public string? ProtocolName { get; set; }

    public byte[] Assignment { get; set; } = [];

    public static SyncGroupResponse Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 4;
        var response = new SyncGroupResponse();
        if (version >= 1)
            response.ThrottleTimeMs = reader.ReadInt32();
        response.ErrorCode = (ErrorCode)reader.ReadInt16();
        if (version >= 5)
        {
            response.ProtocolType = reader.ReadNullableString(flex);
            response.ProtocolName = reader.ReadNullableString(flex);
        }
        response.Assignment = reader.ReadBytes(flex);
        if (flex)
            reader.SkipTaggedFields();
        return response;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 4;
        if (version >= 1)
            writer.WriteInt32(ThrottleTimeMs);
        writer.WriteInt16((short)ErrorCode);
        if (version >= 5)
        {
            writer.WriteNullableString(ProtocolType, flex);
            writer.WriteNullableString(ProtocolName, flex);
        }
        writer.WriteBytes(Assignment, flex);
        if (flex)
            writer.WriteEmptyTaggedFields();
    }
}
