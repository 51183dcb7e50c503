namespace LogStore.Protocol;

/// <summary>
/// LeaveGroup request (key 13, v0–v4, flexible from v4): members leave a group at once (v3+ batches them, KIP-345).
/// </summary>
internal sealed class LeaveGroupRequest : IKafkaMessage<LeaveGroupRequest>, IKafkaRequest
{
    public static ApiKey ApiKey => ApiKey.LeaveGroup;

    public string GroupId { get; set; } = "";

    /// <summary>v0–v2: the one member leaving.</summary>
    public string MemberId { get; set; } = "";

    /// <summary>v3+: the members leaving.</summary>
    public List<MemberIdentity> Members { get; set; } = [];

    public ApiKey RequestApiKey => ApiKey;

    public IKafkaResponse ErrorResponse(ErrorCode errorCode) => new LeaveGroupResponse { ErrorCode = errorCode };

    public static LeaveGroupRequest Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 4;
        var request = new LeaveGroupRequest { GroupId = reader.ReadString(flex) };
        if (version <= 2)
            request.MemberId = reader.ReadString(flex);
        else
        {
            int count = reader.ReadNonNullArrayLength(flex, 2);
            for (int i = 0; i < count; i++)
            {
                request.Members.Add(new MemberIdentity { MemberId = reader.ReadString(flex), GroupInstanceId = reader.ReadNullableString(flex) });
                if (flex)
                    reader.SkipTaggedFields();
            }
        }
        if (flex)
            reader.SkipTaggedFields();
        return request;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 4;
        writer.WriteString(GroupId, flex);
        if (version <= 2)
            writer.WriteString(MemberId, flex);
        else
        {
            writer.WriteArrayLength(Members.Count, flex);
            foreach (MemberIdentity member in Members)
            {
                writer.WriteString(member.MemberId, flex);
                writer.WriteNullableString(member.GroupInstanceId, flex);
                if (flex)
                    writer.WriteEmptyTaggedFields();
            }
        }
        if (flex)
            writer.WriteEmptyTaggedFields();
    }

    internal sealed class MemberIdentity
    {
        public string MemberId { get; set; } = "";

        public string? GroupInstanceId { get; set; }
    }
}
