namespace LogStore.Protocol;

/// <summary>
/// CreateTopics response (key 19, v2–v7, flexible from v5). v5+ carries the created topic's settings and its configs'
/// error in tagged field 0 (<see cref="CreatableTopicResult.TopicConfigErrorCode"/>), written only when not NONE.
/// </summary>
internal sealed class CreateTopicsResponse : IKafkaMessage<CreateTopicsResponse>, IKafkaResponse
{
    public static ApiKey ApiKey => ApiKey.CreateTopics;

    /// <summary>v2+.</summary>
    public int ThrottleTimeMs { get; set; }

    public List<CreatableTopicResult> Topics { get; set; } = [];

    public static CreateTopicsResponse Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 5;
        var response = new CreateTopicsResponse();
        if (version >= 2)
            response.ThrottleTimeMs = reader.ReadInt32();
        int count = reader.ReadNonNullArrayLength(flex, 4);
        for (int i = 0; i < count; i++)
            response.Topics.Add(CreatableTopicResult.Read(ref reader, version));
        if (flex)
            reader.SkipTaggedFields();
        return response;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 5;
        if (version >= 2)
            writer.WriteInt32(ThrottleTimeMs);
        writer.WriteArrayLength(Topics.Count, flex);
        foreach (CreatableTopicResult topic in Topics)
            topic.Write(ref writer, version);
        if (flex)
            writer.WriteEmptyTaggedFields();
    }

    internal sealed class CreatableTopicResult
    {
        private const int TopicConfigErrorCodeTag = 0;

        public string Name { get; set; } = "";

        /// <summary>v7+.</summary>
        public Guid TopicId { get; set; }

        public ErrorCode ErrorCode { get; set; }

        /// <summary>v1+.</summary>
        public string? ErrorMessage { get; set; }

        /// <summary>v5+, tagged: why the configs could not be described.</summary>
        public ErrorCode TopicConfigErrorCode { get; set; }

        /// <summary>v5+.</summary>
        public int NumPartitions { get; set; } = -1;

        /// <summary>v5+.</summary>
        public short ReplicationFactor { get; set; } = -1;

        /// <summary>v5+: the topic's configs, null when they could not be described.</summary>
        public List<ConfigResult>? Configs { get; set; } = [];

        internal static CreatableTopicResult Read(ref KafkaReader reader, short version)
        {
            bool flex = version >= 5;
            var topic = new CreatableTopicResult { Name = reader.ReadString(flex) };
            if (version >= 7)
                topic.TopicId = reader.ReadUuid();
            topic.ErrorCode = (ErrorCode)reader.ReadInt16();
            if (version >= 1)
                topic.ErrorMessage = reader.ReadNullableString(flex);
            if (version >= 5)
            {
                topic.NumPartitions = reader.ReadInt32();
                topic.ReplicationFactor = reader.ReadInt16();
                int configs = reader.ReadArrayLength(flex, 5);
                topic.Configs = configs < 0 ? null : new List<ConfigResult>(configs);
                for (int c = 0; c < configs; c++)
                {
                    topic.Configs!.Add(new ConfigResult
                    {
                        Name = reader.ReadString(flex),
                        Value = reader.ReadNullableString(flex),
                        ReadOnly = reader.ReadBool(),
                        ConfigSource = reader.ReadInt8(),
                        IsSensitive = reader.ReadBool(),
                    });
                    reader.SkipTaggedFields();
                }
            }
            if (flex)
            {
                int tags = reader.ReadTaggedFieldCount();
                for (int t = 0; t < tags; t++)
                {
                    reader.ReadTaggedFieldHeader(out int tag, out int size);
                    if (tag == TopicConfigErrorCodeTag && size == sizeof(short))
                        topic.TopicConfigErrorCode = (ErrorCode)reader.ReadInt16();
                    else
                        reader.Skip(size);
                }
            }
            return topic;
        }

        internal void Write(ref KafkaWriter writer, short version)
        {
            bool flex = version >= 5;
            writer.WriteString(Name, flex);
            if (version >= 7)
                writer.WriteUuid(TopicId);
            writer.WriteInt16((short)ErrorCode);
            if (version >= 1)
                writer.WriteNullableString(ErrorMessage, flex);
            if (version >= 5)
            {
                writer.WriteInt32(NumPartitions);
                writer.WriteInt16(ReplicationFactor);
                writer.WriteArrayLength(Configs?.Count ?? -1, flex);
                foreach (ConfigResult config in Configs ?? [])
                {
                    writer.WriteString(config.Name, flex);
                    writer.WriteNullableString(config.Value, flex);
                    writer.WriteBool(config.ReadOnly);
                    writer.WriteInt8(config.ConfigSource);
                    writer.WriteBool(config.IsSensitive);
                    writer.WriteEmptyTaggedFields();
                }
            }
            if (flex)
            {
                if (TopicConfigErrorCode == ErrorCode.None)
                    writer.WriteEmptyTaggedFields();
                else
                {
                    writer.WriteUVarInt(1);
                    writer.WriteTaggedFieldHeader(TopicConfigErrorCodeTag, sizeof(short));
                    writer.WriteInt16((short)TopicConfigErrorCode);
                }
            }
        }
    }

    internal sealed class ConfigResult
    {
        public string Name { get; set; } = "";

        public string? Value { get; set; }

        public bool ReadOnly { get; set; }

        /// <summary>Kafka's ConfigSource: 5 the default, 1 a topic config…; -1 unknown.</summary>
        public sbyte ConfigSource { get; set; } = -1;

        public bool IsSensitive { get; set; }
    }
}
