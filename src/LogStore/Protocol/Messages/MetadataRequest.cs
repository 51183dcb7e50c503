namespace LogStore.Protocol;

/// <summary>
/// Metadata request (key 3, v0–v13, flexible from v9): brokers, and topics with their partitions and leaders. A null
/// <see cref="Topics"/> (v1+) asks for every topic; in v0 an empty list does.
/// </summary>
internal sealed class MetadataRequest : IKafkaMessage<MetadataRequest>, IKafkaRequest
{
    public static ApiKey ApiKey => ApiKey.Metadata;

    public List<Topic>? Topics { get; set; } = [];

    /// <summary>v4+: create a requested topic that does not exist (Kafka's <c>auto.create.topics.enable</c>).</summary>
    public bool AllowAutoTopicCreation { get; set; } = true;

    /// <summary>v8–v10.</summary>
    public bool IncludeClusterAuthorizedOperations { get; set; }

    /// <summary>v8+.</summary>
    public bool IncludeTopicAuthorizedOperations { get; set; }

    public ApiKey RequestApiKey => ApiKey;

    public IKafkaResponse ErrorResponse(ErrorCode errorCode) => new MetadataResponse
    {
        Topics = (Topics ?? []).ConvertAll(t => new MetadataResponse.Topic { ErrorCode = errorCode, Name = t.Name, TopicId = t.TopicId }),
    };

    public static MetadataRequest Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 9;
        var request = new MetadataRequest();
        int count = reader.ReadArrayLength(flex, 2);
        if (count < 0 && version < 1)
            throw new KafkaProtocolException("Metadata v0 has no null topic list.");
        request.Topics = count < 0 ? null : new List<Topic>(count);
        for (int i = 0; i < count; i++)
        {
            var topic = new Topic();
            if (version >= 10)
                topic.TopicId = reader.ReadUuid();
            topic.Name = version >= 10 ? reader.ReadNullableString(flex) : reader.ReadString(flex);
            if (flex)
                reader.SkipTaggedFields();
            request.Topics!.Add(topic);
        }
        if (version >= 4)
            request.AllowAutoTopicCreation = reader.ReadBool();
        if (version >= 8)
        {
            if (version <= 10)
                request.IncludeClusterAuthorizedOperations = reader.ReadBool();
            request.IncludeTopicAuthorizedOperations = reader.ReadBool();
        }
        if (flex)
            reader.SkipTaggedFields();
        return request;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 9;
        writer.WriteArrayLength(Topics?.Count ?? (version >= 1 ? -1 : 0), flex);
        foreach (Topic topic in Topics ?? [])
        {
            if (version >= 10)
                writer.WriteUuid(topic.TopicId);
            if (version >= 10)
                writer.WriteNullableString(topic.Name, flex);
            else
                writer.WriteString(topic.Name ?? "", flex);
            if (flex)
                writer.WriteEmptyTaggedFields();
        }
        if (version >= 4)
            writer.WriteBool(AllowAutoTopicCreation);
        if (version >= 8)
        {
            if (version <= 10)
                writer.WriteBool(IncludeClusterAuthorizedOperations);
            writer.WriteBool(IncludeTopicAuthorizedOperations);
        }
        if (flex)
            writer.WriteEmptyTaggedFields();
    }

    internal sealed class Topic
    {
        /// <summary>v10+; the zero id when the topic is named.</summary>
        public Guid TopicId { get; set; }

        /// <summary>Null (v10+) when the topic is asked for by id.</summary>
        public string? Name { get; set; }
    }
}
