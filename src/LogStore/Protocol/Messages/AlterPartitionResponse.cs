namespace LogStore.Protocol;

/// <summary>AlterPartition response (key 56, v0–v3, flexible from v0): per partition, an error or the partition's new
/// state (leader, leader epoch, ISR, partition epoch). Topics are named up to v1 and identified by id from v2.</summary>
internal sealed class AlterPartitionResponse : IKafkaMessage<AlterPartitionResponse>, IKafkaResponse
{
    public static ApiKey ApiKey => ApiKey.AlterPartition;

    public int ThrottleTimeMs { get; set; }

    /// <summary>An error for the whole request (NOT_CONTROLLER, STALE_BROKER_EPOCH).</summary>
    public ErrorCode ErrorCode { get; set; }

    public List<TopicData> Topics { get; set; } = [];

    public static AlterPartitionResponse Read(ref KafkaReader reader, short version)
    {
        var response = new AlterPartitionResponse { ThrottleTimeMs = reader.ReadInt32(), ErrorCode = (ErrorCode)reader.ReadInt16() };
        int topics = reader.ReadNonNullArrayLength(true, 3);
        for (int i = 0; i < topics; i++)
        {
            var topic = new TopicData();
            if (version <= 1)
                topic.TopicName = reader.ReadString(true);
            else
                topic.TopicId = reader.ReadUuid();
            int partitions = reader.ReadNonNullArrayLength(true, 16);
            for (int p = 0; p < partitions; p++)
            {
                var partition = new PartitionData
                {
                    PartitionIndex = reader.ReadInt32(),
                    ErrorCode = (ErrorCode)reader.ReadInt16(),
                    LeaderId = reader.ReadInt32(),
                    LeaderEpoch = reader.ReadInt32(),
                    Isr = reader.ReadInt32Array(true),
                };
                if (version >= 1)
                    partition.LeaderRecoveryState = reader.ReadInt8();
                partition.PartitionEpoch = reader.ReadInt32();
                reader.SkipTaggedFields();
                topic.Partitions.Add(partition);
            }
            reader.SkipTaggedFields();
            response.Topics.Add(topic);
        }
        reader.SkipTaggedFields();
        return response;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        writer.WriteInt32(ThrottleTimeMs);
        writer.WriteInt16((short)ErrorCode);
        writer.WriteArrayLength(Topics.Count, true);
        foreach (TopicData topic in Topics)
        {
            if (version <= 1)
                writer.WriteString(topic.TopicName, true);
            else
                writer.WriteUuid(topic.TopicId);
            writer.WriteArrayLength(topic.Partitions.Count, true);
            foreach (PartitionData partition in topic.Partitions)
            {
                writer.WriteInt32(partition.PartitionIndex);
                writer.WriteInt16((short)partition.ErrorCode);
                writer.WriteInt32(partition.LeaderId);
                writer.WriteInt32(partition.LeaderEpoch);
                writer.WriteInt32Array(partition.Isr, true);
                if (version >= 1)
                    writer.WriteInt8(partition.LeaderRecoveryState);
                writer.WriteInt32(partition.PartitionEpoch);
                writer.WriteEmptyTaggedFields();
            }
            writer.WriteEmptyTaggedFields();
        }
        writer.WriteEmptyTaggedFields();
    }

    internal sealed class TopicData
    {
        /// <summary>v0–v1.</summary>
        public string TopicName { get; set; } = "";

        /// <summary>v2+.</summary>
        public Guid TopicId { get; set; }

        public List<PartitionData> Partitions { get; set; } = [];
    }

    internal sealed class PartitionData
    {
        public int PartitionIndex { get; set; }

        public ErrorCode ErrorCode { get; set; }

        public int LeaderId { get; set; } = -1;

        public int LeaderEpoch { get; set; } = -1;

        public List<int> Isr { get; set; } = [];

        /// <summary>v1+.</summary>
        public sbyte LeaderRecoveryState { get; set; }

        public int PartitionEpoch { get; set; } = -1;
    }
}
