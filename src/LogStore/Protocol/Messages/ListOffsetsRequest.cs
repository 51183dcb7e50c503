namespace LogStore.Protocol;

/// <summary>
/// ListOffsets request (key 2, v1–v7, flexible from v6): for each partition, the offset at a timestamp, or the
/// earliest (<see cref="EarliestTimestamp"/>) or latest (<see cref="LatestTimestamp"/>) one.
/// </summary>
internal sealed class ListOffsetsRequest : IKafkaMessage<ListOffsetsRequest>, IKafkaRequest
{
    /// <summary>The timestamp that asks for the log end offset (the high watermark for consumers).</summary>
    public const long LatestTimestamp = -1;

    /// <summary>The timestamp that asks for the log start offset.</summary>
    public const long EarliestTimestamp = -2;

    /// <summary>v7+: the timestamp that asks for the offset of the largest timestamp (KIP-734).</summary>
    public const long MaxTimestamp = -3;

    public static ApiKey ApiKey => ApiKey.ListOffsets;

    public int ReplicaId { get; set; } = -1;

    /// <summary>v2+: 0 read uncommitted, 1 read committed.</summary>
    public sbyte IsolationLevel { get; set; }

    public List<Topic> Topics { get; set; } = [];

    public ApiKey RequestApiKey => ApiKey;

    public IKafkaResponse ErrorResponse(ErrorCode errorCode) => new ListOffsetsResponse
    {
        Topics = Topics.ConvertAll(t => new ListOffsetsResponse.TopicResponse
        {
            Name = t.Name,
            Partitions = t.Partitions.ConvertAll(p => new ListOffsetsResponse.PartitionResponse { PartitionIndex = p.PartitionIndex, ErrorCode = errorCode }),
        }),
    };

    public static ListOffsetsRequest Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 6;
        var request = new ListOffsetsRequest { ReplicaId = reader.ReadInt32() };
        if (version >= 2)
            request.IsolationLevel = reader.ReadInt8();
        int topics = reader.ReadNonNullArrayLength(flex, 3);
        for (int i = 0; i < topics; i++)
        {
            var topic = new Topic { Name = reader.ReadString(flex) };
            int partitions = reader.ReadNonNullArrayLength(flex, 12);
            for (int p = 0; p < partitions; p++)
            {
                var partition = new Partition { PartitionIndex = reader.ReadInt32() };
                if (version >= 4)
                    partition.CurrentLeaderEpoch = reader.ReadInt32();
                partition.Timestamp = reader.ReadInt64();
                if (version == 0)
                    partition.MaxNumOffsets = reader.ReadInt32();
                if (flex)
                    reader.SkipTaggedFields();
                topic.Partitions.Add(partition);
            }
            if (flex)
                reader.SkipTaggedFields();
            request.Topics.Add(topic);
        }
        if (flex)
            reader.SkipTaggedFields();
        return request;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 6;
        writer.WriteInt32(ReplicaId);
        if (version >= 2)
            writer.WriteInt8(IsolationLevel);
        writer.WriteArrayLength(Topics.Count, flex);
        foreach (Topic topic in Topics)
        {
            writer.WriteString(topic.Name, flex);
            writer.WriteArrayLength(topic.Partitions.Count, flex);
            foreach (Partition partition in topic.Partitions)
            {
                writer.WriteInt32(partition.PartitionIndex);
                if (version >= 4)
                    writer.WriteInt32(partition.CurrentLeaderEpoch);
                writer.WriteInt64(partition.Timestamp);
                if (version == 0)
                    writer.WriteInt32(partition.MaxNumOffsets);
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

        /// <summary>v4+.</summary>
        public int CurrentLeaderEpoch { get; set; } = -1;

        public long Timestamp { get; set; }

        /// <summary>v0 only.</summary>
        public int MaxNumOffsets { get; set; } = 1;
    }
}
