namespace LogStore.Protocol;

/// <summary>
/// OffsetForLeaderEpoch request (key 23, v2–v4, flexible from v4): the end offset of a leader epoch, which a consumer
/// asks after a leader change to detect log truncation (KIP-320), and a follower before it fetches.
/// </summary>
internal sealed class OffsetForLeaderEpochRequest : IKafkaMessage<OffsetForLeaderEpochRequest>, IKafkaRequest
{
    public static ApiKey ApiKey => ApiKey.OffsetForLeaderEpoch;

    /// <summary>v3+: the follower's broker id, -1 for a consumer, -2 for a debugging tool.</summary>
    public int ReplicaId { get; set; } = -2;

    public List<Topic> Topics { get; set; } = [];

    public ApiKey RequestApiKey => ApiKey;

    public IKafkaResponse ErrorResponse(ErrorCode errorCode) => new OffsetForLeaderEpochResponse
    {
        Topics = Topics.ConvertAll(t => new OffsetForLeaderEpochResponse.Topic
        {
            Name = t.Name,
            Partitions = t.Partitions.ConvertAll(p => new OffsetForLeaderEpochResponse.EpochEndOffset { ErrorCode = errorCode, PartitionIndex = p.PartitionIndex }),
        }),
    };

    public static OffsetForLeaderEpochRequest Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 4;
        var request = new OffsetForLeaderEpochRequest();
        if (version >= 3)
            request.ReplicaId = reader.ReadInt32();
        int topics = reader.ReadNonNullArrayLength(flex, 3);
        for (int i = 0; i < topics; i++)
        {
            var topic = new Topic { Name = reader.ReadString(flex) };
            int partitions = reader.ReadNonNullArrayLength(flex, 8);
            for (int p = 0; p < partitions; p++)
            {
                var partition = new Partition { PartitionIndex = reader.ReadInt32() };
                if (version >= 2)
                    partition.CurrentLeaderEpoch = reader.ReadInt32();
                partition.LeaderEpoch = reader.ReadInt32();
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
        bool flex = version >= 4;
        if (version >= 3)
            writer.WriteInt32(ReplicaId);
        writer.WriteArrayLength(Topics.Count, flex);
        foreach (Topic topic in Topics)
        {
            writer.WriteString(topic.Name, flex);
            writer.WriteArrayLength(topic.Partitions.Count, flex);
            foreach (Partition partition in topic.Partitions)
            {
                writer.WriteInt32(partition.PartitionIndex);
                if (version >= 2)
                    writer.WriteInt32(partition.CurrentLeaderEpoch);
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

    internal sealed class Topic
    {
        public string Name { get; set; } = "";

        public List<Partition> Partitions { get; set; } = [];
    }

    internal sealed class Partition
    {
        public int PartitionIndex { get; set; }

        /// <summary>v2+: the epoch the client believes current, -1 for none (fences stale requests).</summary>
        public int CurrentLeaderEpoch { get; set; } = -1;

        /// <summary>The epoch whose end offset is asked.</summary>
        public int LeaderEpoch { get; set; }
    }
}
