namespace LogStore.Protocol;

/// <summary>
/// JoinGroup response (key 11, v0–v7, flexible from v6): the generation, the chosen protocol and, for the leader only,
/// every member's subscription to compute the assignment from.
/// </summary>
internal sealed class JoinGroupResponse : IKafkaMessage<JoinGroupResponse>, IKafkaResponse
{
    public static ApiKey ApiKey => ApiKey.JoinGroup;

    /// <summary>v2+.</summary>
    public int ThrottleTimeMs { get; set; }

    public ErrorCode ErrorCode { get; set; }

    public int GenerationId { get; set; } = -1;

    /// <summary>v7+.</summary>
    public string? ProtocolType { get; set; }

    /// <summary>Nullable from v7.</summary>
    public string? ProtocolName { get; set; }

    public string Leader { get; set; } = "";

    public string MemberId { get; set; } = "";

    public List<Member> Members { get; set; } = [];

    public static JoinGroupResponse Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 6;
        var response = new JoinGroupResponse();
        if (version >= 2)
            response.ThrottleTimeMs = reader.ReadInt32();
        response.ErrorCode = (ErrorCode)reader.ReadInt16();
        response.GenerationId = reader.ReadInt32();
        if (version >= 7)
            response.ProtocolType = reader.ReadNullableString(flex);
        response.ProtocolName = version >= 7 ? reader.ReadNullableString(flex) : reader.ReadString(flex);
        response.Leader = reader.ReadString(flex);
        response.MemberId = reader.ReadString(flex);
        int count = reader.ReadNonNullArrayLength(flex, 2);
        for (int i = 0; i < count; i++)
        {
            var member = new Member { MemberId = reader.ReadString(flex) };
            if (version >= 5)
                member.GroupInstanceId = reader.ReadNullableString(flex);
            member.Metadata = reader.ReadBytes(flex);
            if (flex)
                reader.SkipTaggedFields();
            response.Members.Add(member);
        }
        if (flex)
            reader.SkipTaggedFields();
        return response;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 6;
        if (version >= 2)
            writer.WriteInt32(ThrottleTimeMs);
        writer.WriteInt16((short)ErrorCode);
        writer.WriteInt32(GenerationId);
        if (version >= 7)
            writer.WriteNullableString(ProtocolType, flex);
        if (version >= 7)
            writer.WriteNullableString(ProtocolName, flex);
        else
            writer.WriteString(ProtocolName ?? "", flex);
        writer.WriteString(Leader, flex);
        writer.WriteString(MemberId, flex);
        writer.WriteArrayLength(Members.Count, flex);
        foreach (Member member in Members)
        {
            writer.WriteString(member.MemberId, flex);
            if (version >= 5)
                writer.WriteNullableString(member.GroupInstanceId, flex);
            writer.WriteBytes(member.Metadata, flex);
            if (flex)
                writer.WriteEmptyTaggedFields();
        }
        if (flex)
            writer.WriteEmptyTaggedFields();
    }

    internal sealed class Member
    {
        public string MemberId { get; set; } = "";

        /// <summary>v5+.</summary>
        public string? GroupInstanceId { get; set; }

        public byte[] Metadata { get; set; } = [];
    }
}
