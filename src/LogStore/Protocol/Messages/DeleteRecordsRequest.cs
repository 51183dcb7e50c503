namespace LogStore.Protocol;

/// <summary>DeleteRecords request (key 21, v0–v2, flexible from v2): move partitions' log start offsets forward.</summary>
internal sealed class DeleteRecordsRequest : IKafkaMessage<DeleteRecordsRequest>, IKafkaRequest
{
    public static ApiKey ApiKey => ApiKey.DeleteRecords;

    public List<Topic> Topics { get; set; } = [];

    public int TimeoutMs { get; set; }

    public ApiKey RequestApiKey => ApiKey;

    public IKafkaResponse ErrorResponse(ErrorCode errorCode) => new DeleteRecordsResponse
    {
        Topics = Topics.ConvertAll(t => new DeleteRecordsResponse.Topic
        {
            Name = t.Name,
            Partitions = t.Partitions.ConvertAll(p => new DeleteRecordsResponse.Partition { PartitionIndex = p.PartitionIndex, LowWatermark = -1, ErrorCode = errorCode }),
        }),
    };

    public static DeleteRecordsRequest Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 2;
        var request = new DeleteRecordsRequest();
        int topics = reader.ReadNonNullArrayLength(flex, 3);
        for (int i = 0; i < topics; i++)
        {
            var topic = new Topic { Name = reader.ReadString(flex) };
            int partitions = reader.ReadNonNullArrayLength(flex, 12);
            for (int p = 0; p < partitions; p++)
            {
                topic.Partitions.Add(new Partition { PartitionIndex = reader.ReadInt32(), Offset = reader.ReadInt64() });
                if (flex)
                    reader.SkipTaggedFields();
            }
            if (flex)
                reader.SkipTaggedFields();
            request.Topics.Add(topic);
        }
        request.TimeoutMs = reader.ReadInt32();
        if (flex)
            reader.SkipTaggedFields();
        return request;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 2;
        writer.WriteArrayLength(Topics.Count, flex);
        foreach (Topic topic in Topics)
        {
            writer.WriteString(topic.Name, flex);
            writer.WriteArrayLength(topic.Partitions.Count, flex);
            foreach (Partition partition in topic.Partitions)
            {
                writer.WriteInt32(partition.PartitionIndex);
                writer.WriteInt64(partition.Offset);
                if (flex)
                    writer.WriteEmptyTaggedFields();
            }
            if (flex)
                writer.WriteEmptyTaggedFields();
        }
        writer.WriteInt32(TimeoutMs);
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

        /// <summary>Delete the records before this offset; -1 for the high watermark.</summary>
        public long Offset { get; set; }
    }
}
