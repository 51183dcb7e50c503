namespace LogStore.Protocol;

/// <summary>LeaveGroup response (key 13, v0–v4, flexible from v4).</summary>
internal sealed class LeaveGroupResponse : IKafkaMessage<LeaveGroupResponse>, IKafkaResponse
{
    public static ApiKey ApiKey => ApiKey.LeaveGroup;

    /// <summary>v1+.</summary>
    public int ThrottleTimeMs { get; set; }

    public ErrorCode ErrorCode { get; set; }

    /// <summary>v3+: one result per member that asked to leave.</summary>
    public List<MemberResponse> Members { get; set; } = [];

    public static LeaveGroupResponse Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 4;
        var response = new LeaveGroupResponse();
        if (version >= 1)
            response.ThrottleTimeMs = reader.ReadInt32();
        response.ErrorCode = (ErrorCode)reader.ReadInt16();
        if (version >= 3)
        {
            int count = reader.ReadNonNullArrayLength(flex, 4);
            for (int i = 0; i < count; i++)
            {
                response.Members.Add(new MemberResponse
                {
                    MemberId = reader.ReadString(flex),
                    GroupInstanceId = reader.ReadNullableString(flex),
                    ErrorCode = (ErrorCode)reader.ReadInt16(),
                });
                if (flex)
                    reader.SkipTaggedFields();
            }
        }
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
        if (version >= 3)
        {
            writer.WriteArrayLength(Members.Count, flex);
            foreach (MemberResponse member in Members)
            {
                writer.WriteString(member.MemberId, flex);
                writer.WriteNullableString(member.GroupInstanceId, flex);
                writer.WriteInt16((short)member.ErrorCode);
                if (flex)
                    writer.WriteEmptyTaggedFields();
            }
        }
        if (flex)
            writer.WriteEmptyTaggedFields();
    }

    internal sealed class MemberResponse
    {
        public string MemberId { get; set; } = "";

        public string? GroupInstanceId { get; set; }

        public ErrorCode ErrorCode { get; set; }
    }
}
