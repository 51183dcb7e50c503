namespace LogStore.Protocol;

/// <summary>ListOffsets response (key 2, v1–v7, flexible from v6).</summary>
internal sealed class ListOffsetsResponse : IKafkaMessage<ListOffsetsResponse>, IKafkaResponse
{
    public static ApiKey ApiKey => ApiKey.ListOffsets;

    /// <summary>v2+.</summary>
    public int ThrottleTimeMs { get; set; }

    public List<TopicResponse> Topics { get; set; } = [];

    public static ListOffsetsResponse Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 6;
        var response = new ListOffsetsResponse();
        if (version >= 2)
            response.ThrottleTimeMs = reader.ReadInt32();
        int topics = reader.ReadNonNullArrayLength(flex, 3);
        for (int i = 0; i < topics; i++)
        {
            var topic = new TopicResponse { Name = reader.ReadString(flex) };
            int partitions = reader.ReadNonNullArrayLength(flex, 6);
            for (int p = 0; p < partitions; p++)
            {
                var partition = new PartitionResponse { PartitionIndex = reader.ReadInt32(), ErrorCode = (ErrorCode)reader.ReadInt16() };
                if (version == 0)
                {
                    int count = reader.ReadNonNullArrayLength(flex, 8);
                    for (int o = 0; o < count; o++)
                        partition.OldStyleOffsets.Add(reader.ReadInt64());
                }
                else
                {
                    partition.Timestamp = reader.ReadInt64();
                    partition.Offset = reader.ReadInt64();
                }
                if (version >= 4)
                    partition.LeaderEpoch = reader.ReadInt32();
                if (flex)
                    reader.SkipTaggedFields();
                topic.Partitions.Add(partition);
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
        bool flex = version >= 6;
        if (version >= 2)
            writer.WriteInt32(ThrottleTimeMs);
        writer.WriteArrayLength(Topics.Count, flex);
        foreach (TopicResponse topic in Topics)
        {
            writer.WriteString(topic.Name, flex);
            writer.WriteArrayLength(topic.Partitions.Count, flex);
            foreach (PartitionResponse partition in topic.Partitions)
            {
                writer.WriteInt32(partition.PartitionIndex);
                writer.WriteInt16((short)partition.ErrorCode);
                if (version == 0)
                {
                    writer.WriteArrayLength(partition.OldStyleOffsets.Count, flex);
                    foreach (long offset in partition.OldStyleOffsets)
                        writer.WriteInt64(offset);
                }
                else
                {
                    writer.WriteInt64(partition.Timestamp);
                    writer.WriteInt64(partition.Offset);
                }
                if (version >= 4)
                    writer.WriteInt32(partition.LeaderEpoch);
                if (flex)
                    writer.WriteEmptyTaggedFields();
            }
            if (flex)
                writer.WriteEmptyTaggedFields();
        }
        if (flex)
            writer.WriteEmptyTaggedFields();
    }

    internal sealed class TopicResponse
    {
        public string Name { get; set; } = "";

        public List<PartitionResponse> Partitions { get; set; } = [];
    }

    internal sealed class PartitionResponse
    {
        public int PartitionIndex { get; set; }

        public ErrorCode ErrorCode { get; set; }

        /// <summary>v0 only.</summary>
        public List<long> OldStyleOffsets { get; set; } = [];

        /// <summary>v1+: the found record's timestamp, -1 for earliest/latest.</summary>
        public long Timestamp { get; set; } = -1;

        /// <summary>v1+: the offset found, -1 when none.</summary>
        public long Offset { get; set; } = -1;

        /// <summary>v4+.</summary>
        public int LeaderEpoch { get; set; } = -1;
    }
}
