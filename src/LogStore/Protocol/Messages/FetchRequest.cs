namespace LogStore.Protocol;

/// <summary>
/// Fetch request (key 1, v4–v16, flexible from v12): records from partitions, from a fetch offset, waiting up to
/// <see cref="MaxWaitMs"/> for <see cref="MinBytes"/>. v7+ fetch sessions (KIP-227) send only what changed; v13+ names
/// topics by id. Followers send the tagged <see cref="ClusterId"/> (v12+) and <see cref="ReplicaState"/> (v15+, in place
/// of <see cref="ReplicaId"/>); consumers send neither.
/// </summary>
internal sealed class FetchRequest : IKafkaMessage<FetchRequest>, IKafkaRequest
{
    private const int ClusterIdTag = 0;
    private const int ReplicaStateTag = 1;

    public static ApiKey ApiKey => ApiKey.Fetch;

    /// <summary>v12+, tagged: the cluster the follower believes it is in; null from consumers.</summary>
    public string? ClusterId { get; set; }

    /// <summary>v15+, tagged: the follower's id and broker epoch; null from consumers.</summary>
    public ReplicaStateData? ReplicaState { get; set; }

    /// <summary>v0–v14: -1 for a consumer, the broker id for a follower.</summary>
    public int ReplicaId { get; set; } = -1;

    public int MaxWaitMs { get; set; }

    public int MinBytes { get; set; }

    /// <summary>v3+.</summary>
    public int MaxBytes { get; set; } = int.MaxValue;

    /// <summary>v4+: 0 read uncommitted, 1 read committed.</summary>
    public sbyte IsolationLevel { get; set; }

    /// <summary>v7+: 0 for a full fetch without a session.</summary>
    public int SessionId { get; set; }

    /// <summary>v7+: -1 for a full fetch without a session, 0 to create one.</summary>
    public int SessionEpoch { get; set; } = -1;

    public List<Topic> Topics { get; set; } = [];

    /// <summary>v7+: partitions to drop from the fetch session.</summary>
    public List<ForgottenTopic> ForgottenTopics { get; set; } = [];

    /// <summary>v11+: the consumer's rack (KIP-392).</summary>
    public string RackId { get; set; } = "";

    public ApiKey RequestApiKey => ApiKey;

    public IKafkaResponse ErrorResponse(ErrorCode errorCode) => new FetchResponse
    {
        ErrorCode = errorCode,
        SessionId = 0,
        Topics = Topics.ConvertAll(t => new FetchResponse.TopicResponse
        {
            Name = t.Name,
            TopicId = t.TopicId,
            Partitions = t.Partitions.ConvertAll(p => new FetchResponse.PartitionData
            {
                PartitionIndex = p.PartitionIndex,
                ErrorCode = errorCode,
                HighWatermark = -1,
                Records = System.Buffers.ReadOnlySequence<byte>.Empty,
            }),
        }),
    };

    public static FetchRequest Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 12;
        var request = new FetchRequest();
        if (version <= 14)
            request.ReplicaId = reader.ReadInt32();
        request.MaxWaitMs = reader.ReadInt32();
        request.MinBytes = reader.ReadInt32();
        if (version >= 3)
            request.MaxBytes = reader.ReadInt32();
        if (version >= 4)
            request.IsolationLevel = reader.ReadInt8();
        if (version >= 7)
        {
            request.SessionId = reader.ReadInt32();
            request.SessionEpoch = reader.ReadInt32();
        }
        int topics = reader.ReadNonNullArrayLength(flex, 2);
        for (int i = 0; i < topics; i++)
        {
            var topic = new Topic();
            if (version >= 13)
                topic.TopicId = reader.ReadUuid();
            else
                topic.Name = reader.ReadString(flex);
            int partitions = reader.ReadNonNullArrayLength(flex, 16);
            for (int p = 0; p < partitions; p++)
            {
                var partition = new Partition { PartitionIndex = reader.ReadInt32() };
                if (version >= 9)
                    partition.CurrentLeaderEpoch = reader.ReadInt32();
                partition.FetchOffset = reader.ReadInt64();
                if (version >= 12)
                    partition.LastFetchedEpoch = reader.ReadInt32();
                if (version >= 5)
                    partition.LogStartOffset = reader.ReadInt64();
                partition.PartitionMaxBytes = reader.ReadInt32();
                if (flex)
                    reader.SkipTaggedFields();
                topic.Partitions.Add(partition);
            }
            if (flex)
                reader.SkipTaggedFields();
            request.Topics.Add(topic);
        }
        if (version >= 7)
        {
            int forgotten = reader.ReadNonNullArrayLength(flex, 2);
            for (int i = 0; i < forgotten; i++)
            {
                var topic = new ForgottenTopic();
                if (version >= 13)
                    topic.TopicId = reader.ReadUuid();
                else
                    topic.Name = reader.ReadString(flex);
                topic.Partitions = reader.ReadInt32Array(flex);
                if (flex)
                    reader.SkipTaggedFields();
                request.ForgottenTopics.Add(topic);
            }
        }
        if (version >= 11)
            request.RackId = reader.ReadString(flex);
        if (flex)
            request.ReadTaggedFields(ref reader, version);
        return request;
    }

    private void ReadTaggedFields(ref KafkaReader reader, short version)
    {
        int count = reader.ReadTaggedFieldCount();
        for (int i = 0; i < count; i++)
        {
            reader.ReadTaggedFieldHeader(out int tag, out int size);
            long start = reader.Consumed;
            if (tag == ClusterIdTag)
                ClusterId = reader.ReadNullableString(compact: true);
            else if (tag == ReplicaStateTag && version >= 15)
            {
                ReplicaState = new ReplicaStateData { ReplicaId = reader.ReadInt32(), ReplicaEpoch = reader.ReadInt64() };
                reader.SkipTaggedFields();
            }
            else
                reader.Skip(size);
            reader.EnsureTaggedFieldEnd(start, size, tag);
        }
    }

    // Kafka writes a tagged field only when it differs from its default (null here).
    private void WriteTaggedFields(ref KafkaWriter writer, short version)
    {
        bool replicaState = ReplicaState is not null && version >= 15;
        writer.WriteUVarInt((uint)((ClusterId is null ? 0 : 1) + (replicaState ? 1 : 0)));
        if (ClusterId is not null)
        {
            writer.WriteTaggedFieldHeader(ClusterIdTag, KafkaWriter.SizeOfCompactString(ClusterId));
            writer.WriteNullableString(ClusterId, compact: true);
        }
        if (replicaState)
        {
            writer.WriteTaggedFieldHeader(ReplicaStateTag, sizeof(int) + sizeof(long) + 1);
            writer.WriteInt32(ReplicaState!.ReplicaId);
            writer.WriteInt64(ReplicaState.ReplicaEpoch);
            writer.WriteEmptyTaggedFields();
        }
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 12;
        if (version <= 14)
            writer.WriteInt32(ReplicaId);
        writer.WriteInt32(MaxWaitMs);
        writer.WriteInt32(MinBytes);
        if (version >= 3)
            writer.WriteInt32(MaxBytes);
        if (version >= 4)
            writer.WriteInt8(IsolationLevel);
        if (version >= 7)
        {
            writer.WriteInt32(SessionId);
            writer.WriteInt32(SessionEpoch);
        }
        writer.WriteArrayLength(Topics.Count, flex);
        foreach (Topic topic in Topics)
        {
            if (version >= 13)
                writer.WriteUuid(topic.TopicId);
            else
                writer.WriteString(topic.Name, flex);
            writer.WriteArrayLength(topic.Partitions.Count, flex);
            foreach (Partition partition in topic.Partitions)
            {
                writer.WriteInt32(partition.PartitionIndex);
                if (version >= 9)
                    writer.WriteInt32(partition.CurrentLeaderEpoch);
                writer.WriteInt64(partition.FetchOffset);
                if (version >= 12)
                    writer.WriteInt32(partition.LastFetchedEpoch);
                if (version >= 5)
                    writer.WriteInt64(partition.LogStartOffset);
                writer.WriteInt32(partition.PartitionMaxBytes);
                if (flex)
                    writer.WriteEmptyTaggedFields();
            }
            if (flex)
                writer.WriteEmptyTaggedFields();
        }
        if (version >= 7)
        {
            writer.WriteArrayLength(ForgottenTopics.Count, flex);
            foreach (ForgottenTopic topic in ForgottenTopics)
            {
                if (version >= 13)
                    writer.WriteUuid(topic.TopicId);
                else
                    writer.WriteString(topic.Name, flex);
                writer.WriteInt32Array(topic.Partitions, flex);
                if (flex)
                    writer.WriteEmptyTaggedFields();
            }
        }
        if (version >= 11)
            writer.WriteString(RackId, flex);
        if (flex)
            WriteTaggedFields(ref writer, version);
    }

    internal sealed class ReplicaStateData
    {
        public int ReplicaId { get; set; } = -1;

        public long ReplicaEpoch { get; set; } = -1;
    }

    internal sealed class Topic
    {
        /// <summary>v0–v12.</summary>
        public string Name { get; set; } = "";

        /// <summary>v13+.</summary>
        public Guid TopicId { get; set; }

        public List<Partition> Partitions { get; set; } = [];
    }

    internal sealed class Partition
    {
        public int PartitionIndex { get; set; }

        /// <summary>v9+: the leader epoch the client knows, -1 when it knows none (KIP-320).</summary>
        public int CurrentLeaderEpoch { get; set; } = -1;

        public long FetchOffset { get; set; }

        /// <summary>v12+: followers only.</summary>
        public int LastFetchedEpoch { get; set; } = -1;

        /// <summary>v5+: followers only; -1 from consumers.</summary>
        public long LogStartOffset { get; set; } = -1;

        public int PartitionMaxBytes { get; set; }
    }

    internal sealed class ForgottenTopic
    {
        /// <summary>v7–v12.</summary>
        public string Name { get; set; } = "";

        /// <summary>v13+.</summary>
        public Guid TopicId { get; set; }

        public List<int> Partitions { get; set; } = [];
    }
}
