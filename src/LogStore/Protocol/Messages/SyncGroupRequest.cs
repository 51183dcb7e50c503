namespace LogStore.Protocol;

/// <summary>
/// SyncGroup request (key 14, v0–v5, flexible from v4): every member asks for its assignment; the leader brings the
/// assignments of all (opaque bytes in the assignor's format).
/// </summary>
internal sealed class SyncGroupRequest : IKafkaMessage<SyncGroupRequest>, IKafkaRequest
{
    public static ApiKey ApiKey => ApiKey.SyncGroup;

    public string GroupId { get; set; } = "";

    public int GenerationId { get; set; }

    public string MemberId { get; set; } = "";

    /// <summary>v3+.</summary>
    public string? GroupInstanceId { get; set; }

    /// <summary>v5+.</summary>
    public string? ProtocolType { get; set; }

    /// <summary>v5+.</summary>
    public string? ProtocolName { get; set; }

    /// <summary>The leader's assignments; empty from the other members.</summary>
    public List<Assignment> Assignments { get; set; } = [];

    public ApiKey RequestApiKey => ApiKey;

    public IKafkaResponse ErrorResponse(ErrorCode errorCode) => new SyncGroupResponse { ErrorCode = errorCode };

    public static SyncGroupRequest Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 4;
        var request = new SyncGroupRequest
        {
            GroupId = reader.ReadString(flex),
            GenerationId = reader.ReadInt32(),
            MemberId = reader.ReadString(flex),
        };
        if (version >= 3)
            request.GroupInstanceId = reader.ReadNullableString(flex);
        if (version >= 5)
        {
            request.ProtocolType = reader.ReadNullableString(flex);
            request.ProtocolName = reader.ReadNullableString(flex);
        }
        int count = reader.ReadNonNullArrayLength(flex, 2);
        for (int i = 0; i < count; i++)
        {
            request.Assignments.Add(new Assignment { MemberId = reader.ReadString(flex), Bytes = reader.ReadBytes(flex) });
            if (flex)
                reader.SkipTaggedFields();
        }
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
        if (version >= 5)
        {
            writer.WriteNullableString(ProtocolType, flex);
            writer.WriteNullableString(ProtocolName, flex);
        }
        writer.WriteArrayLength(Assignments.Count, flex);
        foreach (Assignment assignment in Assignments)
        {
            writer.WriteString(assignment.MemberId, flex);
            writer.WriteBytes(assignment.Bytes, flex);
            if (flex)
                writer.WriteEmptyTaggedFields();
        }
        if (flex)
            writer.WriteEmptyTaggedFields();
    }

    internal sealed class Assignment
    {
        public string MemberId { get; set; } = "";

        /// <summary>The member's assignment in the assignor's format (Kafka's field name: Assignment).</summary>
        public byte[] Bytes { get; set; } = [];
    }
}
