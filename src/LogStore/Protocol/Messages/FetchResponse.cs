using System.Buffers;

namespace LogStore.Protocol;

/// <summary>
/// Fetch response (key 1, v4–v16, flexible from v12). A partition's records are either bytes or a
/// <see cref="FileRegion"/> of a segment file, written zero-copy when the writer is a <see cref="ResponseFrame"/>.
/// The tagged fields (diverging epoch, current leader, snapshot id, node endpoints: replication and KRaft) are skipped
/// on read and not written.
/// </summary>
internal sealed class FetchResponse : IKafkaMessage<FetchResponse>, IKafkaResponse
{
    public static ApiKey ApiKey => ApiKey.Fetch;

    /// <summary>v1+.</summary>
    public int ThrottleTimeMs { get; set; }

    /// <summary>v7+: the top-level error (fetch session errors).</summary>
    public ErrorCode ErrorCode { get; set; }

    /// <summary>v7+: the fetch session's id, 0 without one.</summary>
    public int SessionId { get; set; }

    public List<TopicResponse> Topics { get; set; } = [];

    public static FetchResponse Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 12;
        var response = new FetchResponse();
        if (version >= 1)
            response.ThrottleTimeMs = reader.ReadInt32();
        if (version >= 7)
        {
            response.ErrorCode = (ErrorCode)reader.ReadInt16();
            response.SessionId = reader.ReadInt32();
        }
        int topics = reader.ReadNonNullArrayLength(flex, 2);
        for (int i = 0; i < topics; i++)
        {
            var topic = new TopicResponse();
            if (version >= 13)
                topic.TopicId = reader.ReadUuid();
            else
                topic.Name = reader.ReadString(flex);
            int partitions = reader.ReadNonNullArrayLength(flex, 18);
            for (int p = 0; p < partitions; p++)
                topic.Partitions.Add(PartitionData.Read(ref reader, version));
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
        bool flex = version >= 12;
        if (version >= 1)
            writer.WriteInt32(ThrottleTimeMs);
        if (version >= 7)
        {
            writer.WriteInt16((short)ErrorCode);
            writer.WriteInt32(SessionId);
        }
        writer.WriteArrayLength(Topics.Count, flex);
        foreach (TopicResponse topic in Topics)
        {
            if (version >= 13)
                writer.WriteUuid(topic.TopicId);
            else
                writer.WriteString(topic.Name, flex);
            writer.WriteArrayLength(topic.Partitions.Count, flex);
            foreach (PartitionData partition in topic.Partitions)
                partition.Write(ref writer, version);
            if (flex)
                writer.WriteEmptyTaggedFields();
        }
        if (flex)
            writer.WriteEmptyTaggedFields();
    }

    internal sealed class TopicResponse
    {
        /// <summary>v0–v12.</summary>
        public string Name { get; set; } = "";

        /// <summary>v13+.</summary>
        public Guid TopicId { get; set; }

        public List<PartitionData> Partitions { get; set; } = [];
    }

    internal sealed class PartitionData
    {
        public int PartitionIndex { get; set; }

        public ErrorCode ErrorCode { get; set; }

        public long HighWatermark { get; set; }

        /// <summary>v4+.</summary>
        public long LastStableOffset { get; set; } = -1;

        /// <summary>v5+.</summary>
        public long LogStartOffset { get; set; } = -1;

        /// <summary>v4+: null unless the fetch reads committed.</summary>
        public List<AbortedTransaction>? AbortedTransactions { get; set; }

        /// <summary>v11+: the replica to fetch from instead, -1 for this one.</summary>
        public int PreferredReadReplica { get; set; } = -1;

        /// <summary>The records as bytes (read responses, small answers); ignored when <see cref="RecordsFile"/> is set.</summary>
        public ReadOnlySequence<byte>? Records { get; set; }

        /// <summary>The records as a segment file's bytes, sent zero-copy; its lease passes to the writer.</summary>
        public FileRegion? RecordsFile { get; set; }

        internal static PartitionData Read(ref KafkaReader reader, short version)
        {
            bool flex = version >= 12;
            var partition = new PartitionData
            {
                PartitionIndex = reader.ReadInt32(),
                ErrorCode = (ErrorCode)reader.ReadInt16(),
                HighWatermark = reader.ReadInt64(),
            };
            if (version >= 4)
                partition.LastStableOffset = reader.ReadInt64();
            if (version >= 5)
                partition.LogStartOffset = reader.ReadInt64();
            if (version >= 4)
            {
                int aborted = reader.ReadArrayLength(flex, 16);
                if (aborted >= 0)
                {
                    partition.AbortedTransactions = new List<AbortedTransaction>(aborted);
                    for (int i = 0; i < aborted; i++)
                    {
                        partition.AbortedTransactions.Add(new AbortedTransaction { ProducerId = reader.ReadInt64(), FirstOffset = reader.ReadInt64() });
                        if (flex)
                            reader.SkipTaggedFields();
                    }
                }
            }
            if (version >= 11)
                partition.PreferredReadReplica = reader.ReadInt32();
            partition.Records = reader.ReadRecords(flex);
            if (flex)
                reader.SkipTaggedFields();
            return partition;
        }

        internal void Write(ref KafkaWriter writer, short version)
        {
            bool flex = version >= 12;
            writer.WriteInt32(PartitionIndex);
            writer.WriteInt16((short)ErrorCode);
            writer.WriteInt64(HighWatermark);
            if (version >= 4)
                writer.WriteInt64(LastStableOffset);
            if (version >= 5)
                writer.WriteInt64(LogStartOffset);
            if (version >= 4)
            {
                writer.WriteArrayLength(AbortedTransactions?.Count ?? -1, flex);
                foreach (AbortedTransaction aborted in AbortedTransactions ?? [])
                {
                    writer.WriteInt64(aborted.ProducerId);
                    writer.WriteInt64(aborted.FirstOffset);
                    if (flex)
                        writer.WriteEmptyTaggedFields();
                }
            }
            if (version >= 11)
                writer.WriteInt32(PreferredReadReplica);
            if (RecordsFile is { } file)
                writer.WriteRecords(file, flex);
            else
                writer.WriteRecords(Records, flex);
            if (flex)
                writer.WriteEmptyTaggedFields();
        }
    }

    internal sealed class AbortedTransaction
    {
        public long ProducerId { get; set; }

        public long FirstOffset { get; set; }
    }
}
