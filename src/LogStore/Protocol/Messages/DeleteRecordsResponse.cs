namespace LogStore.Protocol;

/// <summary>DeleteRecords response (key 21, v0–v2, flexible from v2): each partition's new low watermark.</summary>
internal sealed class DeleteRecordsResponse : IKafkaMessage<DeleteRecordsResponse>, IKafkaResponse
{
    public static ApiKey ApiKey => ApiKey.DeleteRecords;

    public int ThrottleTimeMs { get; set; }

    public List<Topic> Topics { get; set; } = [];

    public static DeleteRecordsResponse Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 2;
        var response = new DeleteRecordsResponse { ThrottleTimeMs = reader.ReadInt32() };
        int topics = reader.ReadNonNullArrayLength(flex, 3);
        for (int i = 0; i < topics; i++)
        {
            var topic = new Topic { Name = reader.ReadString(flex) };
            int partitions = reader.ReadNonNullArrayLength(flex, 14);
            for (int p = 0; p < partitions; p++)
            {
                topic.Partitions.Add(new Partition
                {
                    PartitionIndex = reader.ReadInt32(),
                    LowWatermark = reader.ReadInt64(),
                    ErrorCode = (ErrorCode)reader.ReadInt16(),
                });
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
        bool flex = version >= 2;
        writer.WriteInt32(ThrottleTimeMs);
        writer.WriteArrayLength(Topics.Count, flex);
        foreach (Topic topic in Topics)
        {
            writer.WriteString(topic.Name, flex);
            writer.WriteArrayLength(topic.Partitions.Count, flex);
            foreach (Partition partition in topic.Partitions)
            {
                writer.WriteInt32(partition.PartitionIndex);
                writer.WriteInt64(partition.LowWatermark);
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

        public long LowWatermark { get; set; }

        public ErrorCode ErrorCode { get; set; }
    }
}
