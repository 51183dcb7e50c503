namespace LogStore.Protocol;

/// <summary>OffsetForLeaderEpoch response (key 23, v2–v4, flexible from v4).</summary>
internal sealed class OffsetForLeaderEpochResponse : IKafkaMessage<OffsetForLeaderEpochResponse>, IKafkaResponse
{
    public static ApiKey ApiKey => ApiKey.OffsetForLeaderEpoch;

    /// <summary>v2+.</summary>
    public int ThrottleTimeMs { get; set; }

    public List<Topic> Topics { get; set; } = [];

    public static OffsetForLeaderEpochResponse Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 4;
        var response = new OffsetForLeaderEpochResponse();
        if (version >= 2)
            response.ThrottleTimeMs = reader.ReadInt32();
        int topics = reader.ReadNonNullArrayLength(flex, 3);
        for (int i = 0; i < topics; i++)
        {
            var topic = new Topic { Name = reader.ReadString(flex) };
            int partitions = reader.ReadNonNullArrayLength(flex, 14);
            for (int p = 0; p < partitions; p++)
            {
                var partition = new EpochEndOffset { ErrorCode = (ErrorCode)reader.ReadInt16(), PartitionIndex = reader.ReadInt32() };
                if (version >= 1)
                    partition.LeaderEpoch = reader.ReadInt32();
                partition.EndOffset = reader.ReadInt64();
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
        bool flex = version >= 4;
        if (version >= 2)
            writer.WriteInt32(ThrottleTimeMs);
        writer.WriteArrayLength(Topics.Count, flex);
        foreach (Topic topic in Topics)
        {
            writer.WriteString(topic.Name, flex);
            writer.WriteArrayLength(topic.Partitions.Count, flex);
            foreach (EpochEndOffset partition in topic.Partitions)
            {
                writer.WriteInt16((short)partition.ErrorCode);
                writer.WriteInt32(partition.PartitionIndex);
                if (version >= 1)
                    writer.WriteInt32(partition.LeaderEpoch);
                writer.WriteInt64(partition.EndOffset);
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

        public List<EpochEndOffset> Partitions { get; set; } = [];
    }

    internal sealed class EpochEndOffset
    {
        public ErrorCode ErrorCode { get; set; }

        public int PartitionIndex { get; set; }

        /// <summary>v1+: the largest epoch not above the one asked.</summary>
        public int LeaderEpoch { get; set; } = -1;

        public long EndOffset { get; set; } = -1;
    }
}
