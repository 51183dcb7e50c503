namespace LogStore.Protocol;

/// <summary>OffsetFetch response (key 9, v1–v7, flexible from v6): -1 as the offset of a partition never committed.</summary>
internal sealed class OffsetFetchResponse : IKafkaMessage<OffsetFetchResponse>, IKafkaResponse
{
    public static ApiKey ApiKey => ApiKey.OffsetFetch;

    /// <summary>v3+.</summary>
    public int ThrottleTimeMs { get; set; }

    public List<Topic> Topics { get; set; } = [];

    /// <summary>v2+: the group-level error (COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR…).</summary>
    public ErrorCode ErrorCode { get; set; }

    public static OffsetFetchResponse Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 6;
        var response = new OffsetFetchResponse();
        if (version >= 3)
            response.ThrottleTimeMs = reader.ReadInt32();
        int topics = reader.ReadNonNullArrayLength(flex, 3);
        for (int i = 0; i < topics; i++)
        {
            var topic = new Topic { Name = reader.ReadString(flex) };
            int partitions = reader.ReadNonNullArrayLength(flex, 15);
            for (int p = 0; p < partitions; p++)
            {
                var partition = new Partition { PartitionIndex = reader.ReadInt32(), CommittedOffset = reader.ReadInt64() };
                if (version >= 5)
                    partition.CommittedLeaderEpoch = reader.ReadInt32();
                partition.Metadata = reader.ReadNullableString(flex);
                partition.ErrorCode = (ErrorCode)reader.ReadInt16();
                if (flex)
                    reader.SkipTaggedFields();
                topic.Partitions.Add(partition);
            }
            if (flex)
                reader.SkipTaggedFields();
            response.Topics.Add(topic);
        }
        if (version >= 2)
            response.ErrorCode = (ErrorCode)reader.ReadInt16();
        if (flex)
            reader.SkipTaggedFields();
        return response;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 6;
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
                writer.WriteInt64(partition.CommittedOffset);
                if (version >= 5)
                    writer.WriteInt32(partition.CommittedLeaderEpoch);
                writer.WriteNullableString(partition.Metadata, flex);
                writer.WriteInt16((short)partition.ErrorCode);
                if (flex)
                    writer.WriteEmptyTaggedFields();
            }
            if (flex)
                writer.WriteEmptyTaggedFields();
        }
        if (version >= 2)
            writer.WriteInt16((short)ErrorCode);
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

        /// <summary>-1 when the group never committed this partition.</summary>
        public long CommittedOffset { get; set; } = -1;

        /// <summary>v5+.</summary>
        public int CommittedLeaderEpoch { get; set; } = -1;

        public string? Metadata { get; set; }

        public ErrorCode ErrorCode { get; set; }
    }
}
