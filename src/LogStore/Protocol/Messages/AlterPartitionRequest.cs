namespace LogStore.Protocol;

/// <summary>
/// AlterPartition request (key 56, v0–v3, flexible from v0): a partition leader asks the active controller to change
/// its ISR (Kafka's AlterPartitionManager). Topics are named up to v1 and identified by id from v2 (KIP-841); the ISR is
/// a list of ids up to v2 and of (id, broker epoch) pairs from v3 (KIP-903).
/// </summary>
internal sealed class AlterPartitionRequest : IKafkaMessage<AlterPartitionRequest>, IKafkaRequest
{
    public static ApiKey ApiKey => ApiKey.AlterPartition;

    /// <summary>The leader sending the request.</summary>
    public int BrokerId { get; set; }

    /// <summary>The leader's registered epoch, -1 when unknown (not checked).</summary>
    public long BrokerEpoch { get; set; } = -1;

    public List<TopicData> Topics { get; set; } = [];

    public ApiKey RequestApiKey => ApiKey;

    // Kafka answers a request it cannot serve at all with the top-level error only.
    public IKafkaResponse ErrorResponse(ErrorCode errorCode) => new AlterPartitionResponse { ErrorCode = errorCode };

    public static AlterPartitionRequest Read(ref KafkaReader reader, short version)
    {
        var request = new AlterPartitionRequest { BrokerId = reader.ReadInt32(), BrokerEpoch = reader.ReadInt64() };
        int topics = reader.ReadNonNullArrayLength(true, 3);
        for (int i = 0; i < topics; i++)
        {
            var topic = new TopicData();
            if (version <= 1)
                topic.TopicName = reader.ReadString(true);
            else
                topic.TopicId = reader.ReadUuid();
            int partitions = reader.ReadNonNullArrayLength(true, 11);
            for (int p = 0; p < partitions; p++)
            {
                var partition = new PartitionData { PartitionIndex = reader.ReadInt32(), LeaderEpoch = reader.ReadInt32() };
                if (version <= 2)
                {
                    partition.NewIsr = reader.ReadInt32Array(true);
                }
                else
                {
                    int members = reader.ReadNonNullArrayLength(true, 13);
                    for (int m = 0; m < members; m++)
                    {
                        partition.NewIsrWithEpochs.Add(new BrokerState { BrokerId = reader.ReadInt32(), BrokerEpoch = reader.ReadInt64() });
                        reader.SkipTaggedFields();
                    }
                }
                if (version >= 1)
                    partition.LeaderRecoveryState = reader.ReadInt8();
                partition.PartitionEpoch = reader.ReadInt32();
                reader.SkipTaggedFields();
                topic.Partitions.Add(partition);
            }
            reader.SkipTaggedFields();
            request.Topics.Add(topic);
        }
        reader.SkipTaggedFields();
        return request;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        writer.WriteInt32(BrokerId);
        writer.WriteInt64(BrokerEpoch);
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
                writer.WriteInt32(partition.LeaderEpoch);
                if (version <= 2)
                {
                    writer.WriteInt32Array(partition.NewIsr, true);
                }
                else
                {
                    writer.WriteArrayLength(partition.NewIsrWithEpochs.Count, true);
                    foreach (BrokerState member in partition.NewIsrWithEpochs)
                    {
                        writer.WriteInt32(member.BrokerId);
                        writer.WriteInt64(member.BrokerEpoch);
                        writer.WriteEmptyTaggedFields();
                    }
                }
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

        /// <summary>The leader's epoch: a stale one is fenced.</summary>
        public int LeaderEpoch { get; set; }

        /// <summary>v0–v2: the proposed ISR.</summary>
        public List<int> NewIsr { get; set; } = [];

        /// <summary>v3+: the proposed ISR with each member's broker epoch (-1: not checked).</summary>
        public List<BrokerState> NewIsrWithEpochs { get; set; } = [];

        /// <summary>v1+: 1 while recovering from an unclean election (KIP-704), else 0.</summary>
        public sbyte LeaderRecoveryState { get; set; }

        /// <summary>The partition epoch the change was computed from.</summary>
        public int PartitionEpoch { get; set; }

        /// <summary>The proposed ISR's ids, from the field <paramref name="version"/> carries.</summary>
        public List<int> IsrIds(short version) => version >= 3 ? NewIsrWithEpochs.ConvertAll(m => m.BrokerId) : NewIsr;
    }

    internal sealed class BrokerState
    {
        public int BrokerId { get; set; }

        public long BrokerEpoch { get; set; } = -1;
    }
}
