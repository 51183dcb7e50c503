namespace LogStore.Protocol;

/// <summary>
/// OffsetFetch request (key 9, v1–v7, flexible from v6): a group's committed offsets. Null <see cref="Topics"/> (v2+)
/// asks for every partition the group committed.
/// </summary>
internal sealed class OffsetFetchRequest : IKafkaMessage<OffsetFetchRequest>, IKafkaRequest
{
    public static ApiKey ApiKey => ApiKey.OffsetFetch;

    public string GroupId { get; set; } = "";

    public List<Topic>? Topics { get; set; } = [];

    /// <summary>v7+: wait for pending transactional commits (KIP-447).</summary>
    public bool RequireStable { get; set; }

    public ApiKey RequestApiKey => ApiKey;

    public IKafkaResponse ErrorResponse(ErrorCode errorCode) => new OffsetFetchResponse
    {
        ErrorCode = errorCode,
        Topics = (Topics ?? []).ConvertAll(t => new OffsetFetchResponse.Topic
        {
            Name = t.Name,
            Partitions = t.PartitionIndexes.ConvertAll(p => new OffsetFetchResponse.Partition { PartitionIndex = p, ErrorCode = errorCode }),
        }),
    };

    public static OffsetFetchRequest Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 6;
        var request = new OffsetFetchRequest { GroupId = reader.ReadString(flex) };
        int topics = version >= 2 ? reader.ReadArrayLength(flex, 3) : reader.ReadNonNullArrayLength(flex, 3);
        request.Topics = topics < 0 ? null : new List<Topic>(topics);
        for (int i = 0; i < topics; i++)
        {
            request.Topics!.Add(new Topic { Name = reader.ReadString(flex), PartitionIndexes = reader.ReadInt32Array(flex) });
            if (flex)
                reader.SkipTaggedFields();
        }
        if (version >= 7)
            request.RequireStable = reader.ReadBool();
        if (flex)
            reader.SkipTaggedFields();
        return request;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 6;
        writer.WriteString(GroupId, flex);
        writer.WriteArrayLength(Topics?.Count ?? (version >= 2 ? -1 : 0), flex);
        foreach (Topic topic in Topics ?? [])
        {
            writer.WriteString(topic.Name, flex);
            writer.WriteInt32Array(topic.PartitionIndexes, flex);
            if (flex)
                writer.WriteEmptyTaggedFields();
        }
        if (version >= 7)
            writer.WriteBool(RequireStable);
        if (flex)
            writer.WriteEmptyTaggedFields();
    }

    internal sealed class Topic
    {
        public string Name { get; set; } = "";

        public List<int> PartitionIndexes { get; set; } = [];
    }
}
