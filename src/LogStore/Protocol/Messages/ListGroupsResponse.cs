namespace LogStore.Protocol;

/// <summary>ListGroups response (key 16, v0–v5, flexible from v3).</summary>
internal sealed class ListGroupsResponse : IKafkaMessage<ListGroupsResponse>, IKafkaResponse
{
    public static ApiKey ApiKey => ApiKey.ListGroups;

    /// <summary>v1+.</summary>
    public int ThrottleTimeMs { get; set; }

    public ErrorCode ErrorCode { get; set; }

    public List<ListedGroup> Groups { get; set; } = [];

    public static ListGroupsResponse Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 3;
        var response = new ListGroupsResponse();
        if (version >= 1)
            response.ThrottleTimeMs = reader.ReadInt32();
        response.ErrorCode = (ErrorCode)reader.ReadInt16();
        int count = reader.ReadNonNullArrayLength(flex, 2);
        for (int i = 0; i < count; i++)
        {
            var group = new ListedGroup { GroupId = reader.ReadString(flex), ProtocolType = reader.ReadString(flex) };
            if (version >= 4)
                group.GroupState = reader.ReadString(flex);
            if (version >= 5)
                group.GroupType = reader.ReadString(flex);
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
        bool flex = version >= 3;
        if (version >= 1)
            writer.WriteInt32(ThrottleTimeMs);
        writer.WriteInt16((short)ErrorCode);
        writer.WriteArrayLength(Groups.Count, flex);
        foreach (ListedGroup group in Groups)
        {
            writer.WriteString(group.GroupId, flex);
            writer.WriteString(group.ProtocolType, flex);
            if (version >= 4)
                writer.WriteString(group.GroupState, flex);
            if (version >= 5)
                writer.WriteString(group.GroupType, flex);
            if (flex)
                writer.WriteEmptyTaggedFields();
        }
        if (flex)
            writer.WriteEmptyTaggedFields();
    }

    internal sealed class ListedGroup
    {
        public string GroupId { get; set; } = "";

        public string ProtocolType { get; set; } = "";

        /// <summary>v4+.</summary>
        public string GroupState { get; set; } = "";

        /// <summary>v5+: classic or consumer.</summary>
        public string GroupType { get; set; } = "";
    }
}
