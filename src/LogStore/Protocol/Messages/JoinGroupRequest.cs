namespace LogStore.Protocol;

/// <summary>
/// JoinGroup request (key 11, v0–v7, flexible from v6): a consumer joins a group with the assignment protocols it
/// supports and its subscription in each (<see cref="Protocol.Metadata"/>, opaque to the coordinator).
/// </summary>
internal sealed class JoinGroupRequest : IKafkaMessage<JoinGroupRequest>, IKafkaRequest
{
    public static ApiKey ApiKey => ApiKey.JoinGroup;

    public string GroupId { get; set; } = "";

    public int SessionTimeoutMs { get; set; }

    /// <summary>v1+: how long the coordinator waits for members to rejoin; -1 (v0) means the session timeout.</summary>
    public int RebalanceTimeoutMs { get; set; } = -1;

    /// <summary>Empty on the first join; v4+ answers MEMBER_ID_REQUIRED with an id to join again with (KIP-394).</summary>
    public string MemberId { get; set; } = "";

    /// <summary>v5+: the static member's id, null for a dynamic member.</summary>
    public string? GroupInstanceId { get; set; }

    /// <summary>"consumer" for consumer groups.</summary>
    public string ProtocolType { get; set; } = "";

    public List<Protocol> Protocols { get; set; } = [];

    public ApiKey RequestApiKey => ApiKey;

    public IKafkaResponse ErrorResponse(ErrorCode errorCode) => new JoinGroupResponse { ErrorCode = errorCode, GenerationId = -1 };

    public static JoinGroupRequest Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 6;
        var request = new JoinGroupRequest { GroupId = reader.ReadString(flex), SessionTimeoutMs = reader.ReadInt32() };
        if (version >= 1)
            request.RebalanceTimeoutMs = reader.ReadInt32();
        request.MemberId = reader.ReadString(flex);
        if (version >= 5)
            request.GroupInstanceId = reader.ReadNullableString(flex);
        request.ProtocolType = reader.ReadString(flex);
        int count = reader.ReadNonNullArrayLength(flex, 2);
        for (int i = 0; i < count; i++)
        {
            request.Protocols.Add(new Protocol { Name = reader.ReadString(flex), Metadata = reader.ReadBytes(flex) });
            if (flex)
                reader.SkipTaggedFields();
        }
        if (flex)
            reader.SkipTaggedFields();
        return request;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 6;
        writer.WriteString(GroupId, flex);
        writer.WriteInt32(SessionTimeoutMs);
        if (version >= 1)
            writer.WriteInt32(RebalanceTimeoutMs);
        writer.WriteString(MemberId, flex);
        if (version >= 5)
            writer.WriteNullableString(GroupInstanceId, flex);
        writer.WriteString(ProtocolType, flex);
        writer.WriteArrayLength(Protocols.Count, flex);
        foreach (Protocol protocol in Protocols)
        {
            writer.WriteString(protocol.Name, flex);
            writer.WriteBytes(protocol.Metadata, flex);
            if (flex)
                writer.WriteEmptyTaggedFields();
        }
        if (flex)
            writer.WriteEmptyTaggedFields();
    }

    internal sealed class Protocol
    {
        /// <summary>The assignor's name: range, roundrobin, cooperative-sticky…</summary>
        public string Name { get; set; } = "";

        /// <summary>The member's subscription, in the assignor's format.</summary>
        public byte[] Metadata { get; set; } = [];
    }
}
