using System.Buffers;

namespace LogStore.Protocol;

/// <summary>
/// Produce request (key 0, v3–v10, flexible from v9): record batches for partitions. Each partition's records stay a
/// slice of the request frame (no copy): valid as long as the frame's buffers are, which the connection keeps until the
/// response is written.
/// </summary>
internal sealed class ProduceRequest : IKafkaMessage<ProduceRequest>, IKafkaRequest
{
    public static ApiKey ApiKey => ApiKey.Produce;

    /// <summary>v3+: the transactional id; null without transactions.</summary>
    public string? TransactionalId { get; set; }

    /// <summary>0: no response; 1: the leader's append; -1: every in-sync replica's.</summary>
    public short Acks { get; set; }

    public int TimeoutMs { get; set; }

    public List<TopicData> Topics { get; set; } = [];

    public ApiKey RequestApiKey => ApiKey;

    public IKafkaResponse ErrorResponse(ErrorCode errorCode) => new ProduceResponse
    {
        Topics = Topics.ConvertAll(t => new ProduceResponse.TopicResponse
        {
            Name = t.Name,
            Partitions = t.Partitions.ConvertAll(p => new ProduceResponse.PartitionResponse { Index = p.Index, ErrorCode = errorCode, BaseOffset = -1 }),
        }),
    };

    public static ProduceRequest Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 9;
        var request = new ProduceRequest();
        if (version >= 3)
            request.TransactionalId = reader.ReadNullableString(flex);
        request.Acks = reader.ReadInt16();
        request.TimeoutMs = reader.ReadInt32();
        int topics = reader.ReadNonNullArrayLength(flex, 3);
        request.Topics.Capacity = topics;
        for (int i = 0; i < topics; i++)
        {
            var topic = new TopicData { Name = reader.ReadString(flex) };
            int partitions = reader.ReadNonNullArrayLength(flex, 5);
            topic.Partitions.Capacity = partitions;
            for (int p = 0; p < partitions; p++)
            {
                var partition = new PartitionData { Index = reader.ReadInt32(), Records = reader.ReadRecords(flex) };
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
        bool flex = version >= 9;
        if (version >= 3)
            writer.WriteNullableString(TransactionalId, flex);
        writer.WriteInt16(Acks);
        writer.WriteInt32(TimeoutMs);
        writer.WriteArrayLength(Topics.Count, flex);
        foreach (TopicData topic in Topics)
        {
            writer.WriteString(topic.Name, flex);
            writer.WriteArrayLength(topic.Partitions.Count, flex);
            foreach (PartitionData partition in topic.Partitions)
            {
                writer.WriteInt32(partition.Index);
                writer.WriteRecords(partition.Records, flex);
                if (flex)
                    writer.WriteEmptyTaggedFields();
            }
            if (flex)
                writer.WriteEmptyTaggedFields();
        }
        if (flex)
            writer.WriteEmptyTaggedFields();
    }

    internal sealed class TopicData
    {
        public string Name { get; set; } = "";

        public List<PartitionData> Partitions { get; set; } = [];
    }

    internal sealed class PartitionData
    {
        public int Index { get; set; }

        /// <summary>The record batches as sent, a slice of the request; null when the client sent null records.</summary>
        public ReadOnlySequence<byte>? Records { get; set; }
    }
}
