namespace LogStore.Protocol;

/// <summary>DescribeGroups response (key 15, v0–v5, flexible from v5).</summary>
internal sealed class DescribeGroupsResponse : IKafkaMessage<DescribeGroupsResponse>, IKafkaResponse
{
    public static ApiKey ApiKey => ApiKey.DescribeGroups;

    /// <summary>v1+.</summary>
    public int ThrottleTimeMs { get; set; }

    public List<DescribedGroup> Groups { get; set; } = [];

    public static DescribeGroupsResponse Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 5;
        var response = new DescribeGroupsResponse();
        if (version >= 1)
            response.ThrottleTimeMs = reader.ReadInt32();
        int count = reader.ReadNonNullArrayLength(flex, 7);
        for (int i = 0; i < count; i++)
        {
            var group = new DescribedGroup
            {
                ErrorCode = (ErrorCode)reader.ReadInt16(),
                GroupId = reader.ReadString(flex),
                GroupState = reader.ReadString(flex),
                ProtocolType = reader.ReadString(flex),
                ProtocolData = reader.ReadString(flex),
            };
            int members = reader.ReadNonNullArrayLength(flex, 5);
            for (int m = 0; m < members; m++)
            {
                var member = new Member { MemberId = reader.ReadString(flex) };
                if (version >= 4)
                    member.GroupInstanceId = reader.ReadNullableString(flex);
                member.ClientId = reader.ReadString(flex);
                member.ClientHost = reader.ReadString(flex);
                member.MemberMetadata = reader.ReadBytes(flex);
                member.MemberAssignment = reader.ReadBytes(flex);
                if (flex)
                    reader.SkipTaggedFields();
                group.Members.Add(member);
            }
            if (version >= 3)
                group.AuthorizedOperations = reader.ReadInt32();
            if (flex)
                reader.SkipTaggedFields();
            response.Groups.Add(group);
        }
        if (flex)
            reader.SkipTaggedFields();
        return response;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 5;
        if (version >= 1)
            writer.WriteInt32(ThrottleTimeMs);
        writer.WriteArrayLength(Groups.Count, flex);
        foreach (DescribedGroup group in Groups)
        {
            writer.WriteInt16((short)group.ErrorCode);
            writer.WriteString(group.GroupId, flex);
            writer.WriteString(group.GroupState, flex);
            writer.WriteString(group.ProtocolType, flex);
            writer.WriteString(group.ProtocolData, flex);
            writer.WriteArrayLength(group.Members.Count, flex);
            foreach (Member member in group.Members)
            {
                writer.WriteString(member.MemberId, flex);
                if (version >= 4)
                    writer.WriteNullableString(member.GroupInstanceId, flex);
                writer.WriteString(member.ClientId, flex);
                writer.WriteString(member.ClientHost, flex);
                writer.WriteBytes(member.MemberMetadata, flex);
                writer.WriteBytes(member.MemberAssignment, flex);
                if (flex)
                    writer.WriteEmptyTaggedFields();
            }
            if (version >= 3)
                writer.WriteInt32(group.AuthorizedOperations);
            if (flex)
                writer.WriteEmptyTaggedFields();
        }
        if (flex)
            writer.WriteEmptyTaggedFields();
    }

    internal sealed class DescribedGroup
    {
        public ErrorCode ErrorCode { get; set; }

        public string GroupId { get; set; } = "";

        /// <summary>Empty, PreparingRebalance, CompletingRebalance, Stable or Dead.</summary>
        public string GroupState { get; set; } = "";

        public string ProtocolType { get; set; } = "";

        /// <summary>The chosen assignor when the group is stable.</summary>
        public string ProtocolData { get; set; } = "";

        public List<Member> Members { get; set; } = [];

        /// <summary>v3+.</summary>
        public int AuthorizedOperations { get; set; } = int.MinValue;
    }

    internal sealed class Member
    {
        public string MemberId { get; set; } = "";

        /// <summary>v4+.</summary>
        public string? GroupInstanceId { get; set; }

        public string ClientId { get; set; } = "";

        public string ClientHost { get; set; } = "";

        public byte[] MemberMetadata { get; set; } = [];

        public byte[] MemberAssignment { get; set; } = [];
    }
}
