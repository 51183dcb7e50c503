namespace LogStore.Protocol;

/// <summary>CreateTopics request (key 19, v2–v7, flexible from v5): topics with a partition count or an assignment, and configs.</summary>
internal sealed class CreateTopicsRequest : IKafkaMessage<CreateTopicsRequest>, IKafkaRequest
{
    public static ApiKey ApiKey => ApiKey.CreateTopics;

    public List<CreatableTopic> Topics { get; set; } = [];

    public int TimeoutMs { get; set; } = 60_000;

    /// <summary>v1+: check only, create nothing.</summary>
    public bool ValidateOnly { get; set; }

    public ApiKey RequestApiKey => ApiKey;

    public IKafkaResponse ErrorResponse(ErrorCode errorCode) => new CreateTopicsResponse
    {
        Topics = Topics.ConvertAll(t => new CreateTopicsResponse.CreatableTopicResult { Name = t.Name, ErrorCode = errorCode, Configs = null }),
    };

    public static CreateTopicsRequest Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 5;
        var request = new CreateTopicsRequest();
        int count = reader.ReadNonNullArrayLength(flex, 9);
        for (int i = 0; i < count; i++)
        {
            var topic = new CreatableTopic
            {
                Name = reader.ReadString(flex),
                NumPartitions = reader.ReadInt32(),
                ReplicationFactor = reader.ReadInt16(),
            };
            int assignments = reader.ReadNonNullArrayLength(flex, 5);
            for (int a = 0; a < assignments; a++)
            {
                topic.Assignments.Add(new ReplicaAssignment { PartitionIndex = reader.ReadInt32(), BrokerIds = reader.ReadInt32Array(flex) });
                if (flex)
                    reader.SkipTaggedFields();
            }
            int configs = reader.ReadNonNullArrayLength(flex, 2);
            for (int c = 0; c < configs; c++)
            {
                topic.Configs.Add(new TopicConfigEntry { Name = reader.ReadString(flex), Value = reader.ReadNullableString(flex) });
                if (flex)
                    reader.SkipTaggedFields();
            }
            if (flex)
                reader.SkipTaggedFields();
            request.Topics.Add(topic);
        }
        request.TimeoutMs = reader.ReadInt32();
        if (version >= 1)
            request.ValidateOnly = reader.ReadBool();
        if (flex)
            reader.SkipTaggedFields();
        return request;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 5;
        writer.WriteArrayLength(Topics.Count, flex);
        foreach (CreatableTopic topic in Topics)
        {
            writer.WriteString(topic.Name, flex);
            writer.WriteInt32(topic.NumPartitions);
            writer.WriteInt16(topic.ReplicationFactor);
            writer.WriteArrayLength(topic.Assignments.Count, flex);
            foreach (ReplicaAssignment assignment in topic.Assignments)
            {
                writer.WriteInt32(assignment.PartitionIndex);
                writer.WriteInt32Array(assignment.BrokerIds, flex);
                if (flex)
                    writer.WriteEmptyTaggedFields();
            }
            writer.WriteArrayLength(topic.Configs.Count, flex);
            foreach (TopicConfigEntry config in topic.Configs)
            {
                writer.WriteString(config.Name, flex);
                writer.WriteNullableString(config.Value, flex);
                if (flex)
                    writer.WriteEmptyTaggedFields();
            }
            if (flex)
                writer.WriteEmptyTaggedFields();
        }
        writer.WriteInt32(TimeoutMs);
        if (version >= 1)
            writer.WriteBool(ValidateOnly);
        if (flex)
            writer.WriteEmptyTaggedFields();
    }

    internal sealed class CreatableTopic
    {
        public string Name { get; set; } = "";

        /// <summary>-1 for the broker's default, or when <see cref="Assignments"/> are given.</summary>
        public int NumPartitions { get; set; }

        /// <summary>-1 for the broker's default.</summary>
        public short ReplicationFactor { get; set; }

        public List<ReplicaAssignment> Assignments { get; set; } = [];

        public List<TopicConfigEntry> Configs { get; set; } = [];
    }

    internal sealed class ReplicaAssignment
    {
        public int PartitionIndex { get; set; }

        public List<int> BrokerIds { get; set; } = [];
    }

    internal sealed class TopicConfigEntry
    {
        /// <summary>A topic config's Kafka name: retention.ms, cleanup.policy…</summary>
        public string Name { get; set; } = "";

        public string? Value { get; set; }
    }
}
