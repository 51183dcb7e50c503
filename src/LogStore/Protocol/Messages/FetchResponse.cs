using System.Buffers;

namespace LogStore.Protocol;

/// <summary>
/// Fetch response (key 1, v4–v16, flexible from v12). A partition's records are either bytes or a
/// <see cref="FileRegion"/> of a segment file, written zero-copy when the writer is a <see cref="ResponseFrame"/>.
/// The tagged fields a follower or a redirected client needs — a partition's diverging epoch, current leader and
/// snapshot id, and (v16+) the endpoints of the leaders named — are read and written when set.
/// </summary>
internal sealed class FetchResponse : IKafkaMessage<FetchResponse>, IKafkaResponse
{
    private const int NodeEndpointsTag = 0;

    public static ApiKey ApiKey => ApiKey.Fetch;

    /// <summary>v1+.</summary>
    public int ThrottleTimeMs { get; set; }

    /// <summary>v7+: the top-level error (fetch session errors).</summary>
    public ErrorCode ErrorCode { get; set; }

    /// <summary>v7+: the fetch session's id, 0 without one.</summary>
    public int SessionId { get; set; }

    public List<TopicResponse> Topics { get; set; } = [];

    /// <summary>v16+, tagged: the host and port of each leader a NOT_LEADER_OR_FOLLOWER partition names (KIP-951).</summary>
    public List<NodeEndpoint> NodeEndpoints { get; set; } = [];

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
            response.ReadTaggedFields(ref reader, version);
        return response;
    }

    private void ReadTaggedFields(ref KafkaReader reader, short version)
    {
        int count = reader.ReadTaggedFieldCount();
        for (int i = 0; i < count; i++)
        {
            reader.ReadTaggedFieldHeader(out int tag, out int size);
            long start = reader.Consumed;
            if (tag == NodeEndpointsTag && version >= 16)
                NodeEndpoint.ReadArray(ref reader, NodeEndpoints);
            else
                reader.Skip(size);
            reader.EnsureTaggedFieldEnd(start, size, tag);
        }
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
            WriteTaggedFields(ref writer, version);
    }

    private void WriteTaggedFields(ref KafkaWriter writer, short version)
    {
        if (version < 16 || NodeEndpoints.Count == 0)
        {
            writer.WriteEmptyTaggedFields();
            return;
        }
        writer.WriteUVarInt(1);
        NodeEndpoint.WriteTagged(ref writer, NodeEndpointsTag, NodeEndpoints);
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
        private const int DivergingEpochTag = 0;
        private const int CurrentLeaderTag = 1;
        private const int SnapshotIdTag = 2;

        public int PartitionIndex { get; set; }

        public ErrorCode ErrorCode { get; set; }

        public long HighWatermark { get; set; }

        /// <summary>v4+.</summary>
        public long LastStableOffset { get; set; } = -1;

        /// <summary>v5+.</summary>
        public long LogStartOffset { get; set; } = -1;

        /// <summary>v12+, tagged: where the follower's log diverges from the leader's (it truncates there).</summary>
        public EpochEndOffset? DivergingEpoch { get; set; }

        /// <summary>v12+, tagged: the leader the client should fetch from instead, with NOT_LEADER_OR_FOLLOWER.</summary>
        public LeaderIdAndEpoch? CurrentLeader { get; set; }

        /// <summary>v12+, tagged: the snapshot to fetch when the offset is below the log start (KRaft).</summary>
        public SnapshotId? SnapshotId { get; set; }

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
                partition.ReadTaggedFields(ref reader);
            return partition;
        }

        private void ReadTaggedFields(ref KafkaReader reader)
        {
            int count = reader.ReadTaggedFieldCount();
            for (int i = 0; i < count; i++)
            {
                reader.ReadTaggedFieldHeader(out int tag, out int size);
                long start = reader.Consumed;
                switch (tag)
                {
                    case DivergingEpochTag:
                        DivergingEpoch = new EpochEndOffset { Epoch = reader.ReadInt32(), EndOffset = reader.ReadInt64() };
                        reader.SkipTaggedFields();
                        break;
                    case CurrentLeaderTag:
                        CurrentLeader = LeaderIdAndEpoch.Read(ref reader);
                        break;
                    case SnapshotIdTag:
                        SnapshotId = new SnapshotId { EndOffset = reader.ReadInt64(), Epoch = reader.ReadInt32() };
                        reader.SkipTaggedFields();
                        break;
                    default:
                        reader.Skip(size);
                        break;
                }
                reader.EnsureTaggedFieldEnd(start, size, tag);
            }
        }

        // In tag order, each only when set; every one is two fixed-size fields and an empty tagged section.
        private void WriteTaggedFields(ref KafkaWriter writer)
        {
            writer.WriteUVarInt((uint)((DivergingEpoch is null ? 0 : 1) + (CurrentLeader is null ? 0 : 1) + (SnapshotId is null ? 0 : 1)));
            if (DivergingEpoch is { } diverging)
            {
                writer.WriteTaggedFieldHeader(DivergingEpochTag, 4 + 8 + 1);
                writer.WriteInt32(diverging.Epoch);
                writer.WriteInt64(diverging.EndOffset);
                writer.WriteEmptyTaggedFields();
            }
            CurrentLeader?.WriteTagged(ref writer, CurrentLeaderTag);
            if (SnapshotId is { } snapshot)
            {
                writer.WriteTaggedFieldHeader(SnapshotIdTag, 8 + 4 + 1);
                writer.WriteInt64(snapshot.EndOffset);
                writer.WriteInt32(snapshot.Epoch);
                writer.WriteEmptyTaggedFields();
            }
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
                WriteTaggedFields(ref writer);
        }
    }

    internal sealed class AbortedTransaction
    {
        public long ProducerId { get; set; }

        public long FirstOffset { get; set; }
    }

    internal sealed class EpochEndOffset
    {
        public int Epoch { get; set; } = -1;

        public long EndOffset { get; set; } = -1;
    }

    internal sealed class SnapshotId
    {
        public long EndOffset { get; set; } = -1;

        public int Epoch { get; set; } = -1;
    }
}
