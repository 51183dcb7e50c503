namespace LogStore.Protocol;

/// <summary>DeleteTopics request (key 20, v1–v6, flexible from v4): topics by name (v0–v5) or by name or id (v6+).</summary>
internal sealed class DeleteTopicsRequest : IKafkaMessage<DeleteTopicsRequest>, IKafkaRequest
{
    public static ApiKey ApiKey => ApiKey.DeleteTopics;

    /// <summary>v6+.</summary>
    public List<TopicState> Topics { get; set; } = [];

    /// <summary>v0–v5.</summary>
    public List<string> TopicNames { get; set; } = [];

    public int TimeoutMs { get; set; }

    public ApiKey RequestApiKey => ApiKey;

    public IKafkaResponse ErrorResponse(ErrorCode errorCode) => new DeleteTopicsResponse
    {
        Responses = Topics.Count > 0
            ? Topics.ConvertAll(t => new DeleteTopicsResponse.TopicResult { Name = t.Name, TopicId = t.TopicId, ErrorCode = errorCode })
            : TopicNames.ConvertAll(n => new DeleteTopicsResponse.TopicResult { Name = n, ErrorCode = errorCode }),
    };

    public static DeleteTopicsRequest Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 4;
        var request = new DeleteTopicsRequest();
        if (version >= 6)
        {
            int count = reader.ReadNonNullArrayLength(flex, 17);
            for (int i = 0; i < count; i++)
            {
                request.Topics.Add(new TopicState { Name = reader.ReadNullableString(flex), TopicId = reader.ReadUuid() });
                reader.SkipTaggedFields();
            }
        }
        else
            request.TopicNames = reader.ReadStringArray(flex);
        request.TimeoutMs = reader.ReadInt32();
        if (flex)
            reader.SkipTaggedFields();
        return request;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 4;
        if (version >= 6)
        {
            writer.WriteArrayLength(Topics.Count, flex);
            foreach (TopicState topic in Topics)
            {
                writer.WriteNullableString(topic.Name, flex);
                writer.WriteUuid(topic.TopicId);
                writer.WriteEmptyTaggedFields();
            }
        }
        else
            writer.WriteStringArray(TopicNames, flex);
        writer.WriteInt32(TimeoutMs);
        if (flex)
            writer.WriteEmptyTaggedFields();
    }

    internal sealed class TopicState
    {
        /// <summary>Null when the topic is named by id.</summary>
        public string? Name { get; set; }

        public Guid TopicId { get; set; }
    }
}
