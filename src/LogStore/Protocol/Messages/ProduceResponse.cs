namespace LogStore.Protocol;

/// <summary>
/// Produce response (key 0, v3–v10, flexible from v9). The v10 tagged fields, a partition's current leader and the
/// endpoints of the leaders named (for NOT_LEADER_OR_FOLLOWER redirects, KIP-951), are read and written when set.
/// </summary>
internal sealed class ProduceResponse : IKafkaMessage<ProduceResponse>, IKafkaResponse
{
    private const int CurrentLeaderTag = 0;
    private const int NodeEndpointsTag = 0;

    public static ApiKey ApiKey => ApiKey.Produce;

    public List<TopicResponse> Topics { get; set; } = [];

    /// <summary>v1+.</summary>
    public int ThrottleTimeMs { get; set; }

    /// <summary>v10+, tagged.</summary>
    public List<NodeEndpoint> NodeEndpoints { get; set; } = [];

    public static ProduceResponse Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 9;
        var response = new ProduceResponse();
        int topics = reader.ReadNonNullArrayLength(flex, 3);
        for (int i = 0; i < topics; i++)
        {
            var topic = new TopicResponse { Name = reader.ReadString(flex) };
            int partitions = reader.ReadNonNullArrayLength(flex, 14);
            for (int p = 0; p < partitions; p++)
            {
                var partition = new PartitionResponse
                {
                    Index = reader.ReadInt32(),
                    ErrorCode = (ErrorCode)reader.ReadInt16(),
                    BaseOffset = reader.ReadInt64(),
                };
                if (version >= 2)
                    partition.LogAppendTimeMs = reader.ReadInt64();
                if (version >= 5)
                    partition.LogStartOffset = reader.ReadInt64();
                if (version >= 8)
                {
                    int errors = reader.ReadNonNullArrayLength(flex, 5);
                    for (int e = 0; e < errors; e++)
                    {
                        partition.RecordErrors.Add(new RecordError { BatchIndex = reader.ReadInt32(), Message = reader.ReadNullableString(flex) });
                        if (flex)
                            reader.SkipTaggedFields();
                    }
                    partition.ErrorMessage = reader.ReadNullableString(flex);
                }
                if (flex)
                    ReadTaggedFields(ref reader, version, partition, response);
                topic.Partitions.Add(partition);
            }
            if (flex)
                reader.SkipTaggedFields();
            response.Topics.Add(topic);
        }
        response.ThrottleTimeMs = reader.ReadInt32();
        if (flex)
            ReadTaggedFields(ref reader, version, null, response);
        return response;
    }

    // One reader for both tagged sections: a partition's (tag 0 = CurrentLeader) and the response's (tag 0 =
    // NodeEndpoints); both v10+, anything else skipped.
    private static void ReadTaggedFields(ref KafkaReader reader, short version, PartitionResponse? partition, ProduceResponse response)
    {
        int count = reader.ReadTaggedFieldCount();
        for (int i = 0; i < count; i++)
        {
            reader.ReadTaggedFieldHeader(out int tag, out int size);
            long start = reader.Consumed;
            if (version >= 10 && partition is not null && tag == CurrentLeaderTag)
                partition.CurrentLeader = LeaderIdAndEpoch.Read(ref reader);
            else if (version >= 10 && partition is null && tag == NodeEndpointsTag)
                NodeEndpoint.ReadArray(ref reader, response.NodeEndpoints);
            else
                reader.Skip(size);
            reader.EnsureTaggedFieldEnd(start, size, tag);
        }
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 9;
        writer.WriteArrayLength(Topics.Count, flex);
        foreach (TopicResponse topic in Topics)
        {
            writer.WriteString(topic.Name, flex);
            writer.WriteArrayLength(topic.Partitions.Count, flex);
            foreach (PartitionResponse partition in topic.Partitions)
            {
                writer.WriteInt32(partition.Index);
                writer.WriteInt16((short)partition.ErrorCode);
                writer.WriteInt64(partition.BaseOffset);
                if (version >= 2)
                    writer.WriteInt64(partition.LogAppendTimeMs);
                if (version >= 5)
                    writer.WriteInt64(partition.LogStartOffset);
                if (version >= 8)
                {
                    writer.WriteArrayLength(partition.RecordErrors.Count, flex);
                    foreach (RecordError error in partition.RecordErrors)
                    {
                        writer.WriteInt32(error.BatchIndex);
                        writer.WriteNullableString(error.Message, flex);
                        if (flex)
                            writer.WriteEmptyTaggedFields();
                    }
                    writer.WriteNullableString(partition.ErrorMessage, flex);
                }
                if (flex && version >= 10 && partition.CurrentLeader is { } leader)
                {
                    writer.WriteUVarInt(1);
                    leader.WriteTagged(ref writer, CurrentLeaderTag);
                }
                else if (flex)
                    writer.WriteEmptyTaggedFields();
            }
            if (flex)
                writer.WriteEmptyTaggedFields();
        }
        writer.WriteInt32(ThrottleTimeMs);
        if (flex && version >= 10 && NodeEndpoints.Count > 0)
        {
            writer.WriteUVarInt(1);
            NodeEndpoint.WriteTagged(ref writer, NodeEndpointsTag, NodeEndpoints);
        }
        else if (flex)
            writer.WriteEmptyTaggedFields();
    }

    internal sealed class TopicResponse
    {
        public string Name { get; set; } = "";

        public List<PartitionResponse> Partitions { get; set; } = [];
    }

    internal sealed class PartitionResponse
    {
        public int Index { get; set; }

        public ErrorCode ErrorCode { get; set; }

        public long BaseOffset { get; set; }

        /// <summary>v2+: the broker's append time under LogAppendTime, else -1.</summary>
        public long LogAppendTimeMs { get; set; } = -1;

        /// <summary>v5+.</summary>
        public long LogStartOffset { get; set; } = -1;

        /// <summary>v8+: which batches of the request failed and why.</summary>
        public List<RecordError> RecordErrors { get; set; } = [];

        /// <summary>v8+.</summary>
        public string? ErrorMessage { get; set; }

        /// <summary>v10+, tagged: the new leader, with NOT_LEADER_OR_FOLLOWER.</summary>
        public LeaderIdAndEpoch? CurrentLeader { get; set; }
    }

    internal sealed class RecordError
    {
        public int BatchIndex { get; set; }

        public string? Message { get; set; }
    }
}
