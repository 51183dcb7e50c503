namespace LogStore.Protocol;

/// <summary>OffsetCommit response (key 8, v2–v9, flexible from v8): an error code per partition.</summary>
internal sealed class OffsetCommitResponse : IKafkaMessage<OffsetCommitResponse>, IKafkaResponse
{
    public static ApiKey ApiKey => ApiKey.OffsetCommit;

    /// <summary>v3+.</summary>
    public int ThrottleTimeMs { get; set; }

    public List<Topic> Topics { get; set; } = [];

    public static OffsetCommitResponse Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 8;
        var response = new OffsetCommitResponse();
        if (version >= 3)
            response.ThrottleTimeMs = reader.ReadInt32();
        int topics = reader.ReadNonNullArrayLength(flex, 3);
        for (int i = 0; i < topics; i++)
        {
            var topic = new Topic { Name = reader.ReadString(flex) };
            int partitions = reader.ReadNonNullArrayLength(flex, 6);
            for (int p = 0; p < partitions; p++)
            {
                topic.Partitions.Add(new Partition { PartitionIndex = reader.ReadInt32(), ErrorCode = (ErrorCode)reader.ReadInt16() });
                if (flex)
                    reader.SkipTaggedFields();
            }
            if (flex)
                reader.SkipTaggedFields();
            response.Topics.Add(topic);
        }
        if (flex)
            reader.SkipTaggedFields();
        return response;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 8;
        if (version >= 3)
            writer.WriteInt32(ThrottleTimeMs);
        writer.WriteArrayLength(Topics.Count, flex);
        foreach (Topic topic in Topics)
        {
            writer.WriteString(topic.Name, flex);
            writer.WriteArrayLength(topic.Partitions.Count, flex);
            foreach (Partition partition in topic.Partitions)
            {
                writer.WriteInt32(partition.PartitionIndex);
                writer.WriteInt16((short)partition.ErrorCode);
                if (flex)
                    writer.WriteEmptyTaggedFields();
            }
            if (flex)
                writer.WriteEmptyTaggedFields();
        }
        if (flex)
            writer.WriteEmptyTaggedFields();
    }

    internal sealed class Topic
    {
        public string Name { get; set; } = "";

        public List<Partition> Partitions { get; set; } = [];
    }

    internal sealed class Partition
    {
        public int PartitionIndex { get; set; }

        public ErrorCode ErrorCode { get; set; }
    }
}
