namespace LogStore.Protocol;

/// <summary>DeleteTopics response (key 20, v1–v6, flexible from v4).</summary>
internal sealed class DeleteTopicsResponse : IKafkaMessage<DeleteTopicsResponse>, IKafkaResponse
{
    public static ApiKey ApiKey => ApiKey.DeleteTopics;

    /// <summary>v1+.</summary>
    public int ThrottleTimeMs { get; set; }

    public List<TopicResult> Responses { get; set; } = [];

    public static DeleteTopicsResponse Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 4;
        var response = new DeleteTopicsResponse();
        if (version >= 1)
            response.ThrottleTimeMs = reader.ReadInt32();
        int count = reader.ReadNonNullArrayLength(flex, 3);
        for (int i = 0; i < count; i++)
        {
            var result = new TopicResult { Name = version >= 6 ? reader.ReadNullableString(flex) : reader.ReadString(flex) };
            if (version >= 6)
                result.TopicId = reader.ReadUuid();
            result.ErrorCode = (ErrorCode)reader.ReadInt16();
            if (version >= 5)
                result.ErrorMessage = reader.ReadNullableString(flex);
            if (flex)
                reader.SkipTaggedFields();
            response.Responses.Add(result);
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
        writer.WriteArrayLength(Responses.Count, flex);
        foreach (TopicResult result in Responses)
        {
            if (version >= 6)
                writer.WriteNullableString(result.Name, flex);
            else
                writer.WriteString(result.Name ?? "", flex);
            if (version >= 6)
                writer.WriteUuid(result.TopicId);
            writer.WriteInt16((short)result.ErrorCode);
            if (version >= 5)
                writer.WriteNullableString(result.ErrorMessage, flex);
            if (flex)
                writer.WriteEmptyTaggedFields();
        }
        if (flex)
            writer.WriteEmptyTaggedFields();
    }

    internal sealed class TopicResult
    {
        /// <summary>Null only in v6+, for a topic named by an unknown id.</summary>
        public string? Name { get; set; }

        /// <summary>v6+.</summary>
        public Guid TopicId { get; set; }

        public ErrorCode ErrorCode { get; set; }

        /// <summary>v5+.</summary>
        public string? ErrorMessage { get; set; }
    }
}
