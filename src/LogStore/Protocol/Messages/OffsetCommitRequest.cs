namespace LogStore.Protocol;

/// <summary>OffsetCommit request (key 8, v2–v9, flexible from v8): a group member commits the offsets it consumed.</summary>
internal sealed class OffsetCommitRequest : IKafkaMessage<OffsetCommitRequest>, IKafkaRequest
{
    public static ApiKey ApiKey => ApiKey.OffsetCommit;

    public string GroupId { get; set; } = "";

    /// <summary>v1+: the member's generation, -1 for a commit from outside the group (manual assignment).</summary>
    public int GenerationIdOrMemberEpoch { get; set; } = -1;

    /// <summary>v1+.</summary>
    public string MemberId { get; set; } = "";

    /// <summary>v7+.</summary>
    public string? GroupInstanceId { get; set; }

    /// <summary>v2–v4: how long to keep the offsets, -1 for the broker's default.</summary>
    public long RetentionTimeMs { get; set; } = -1;

    public List<Topic> Topics { get; set; } = [];

    public ApiKey RequestApiKey => ApiKey;

    public IKafkaResponse ErrorResponse(ErrorCode errorCode) => new OffsetCommitResponse
    {
        Topics = Topics.ConvertAll(t => new OffsetCommitResponse.Topic
        {
            Name = t.Name,
            Partitions = t.Partitions.ConvertAll(p => new OffsetCommitResponse.Partition { PartitionIndex = p.PartitionIndex, ErrorCode = errorCode }),
        }),
    };

    public static OffsetCommitRequest Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 8;
        var request = new OffsetCommitRequest { GroupId = reader.ReadString(flex) };
        if (version >= 1)
        {
            request.GenerationIdOrMemberEpoch = reader.ReadInt32();
            request.MemberId = reader.ReadString(flex);
        }
        if (version >= 7)
            request.GroupInstanceId = reader.ReadNullableString(flex);
        if (version >= 2 && version <= 4)
            request.RetentionTimeMs = reader.ReadInt64();
        int topics = reader.ReadNonNullArrayLength(flex, 3);
        for (int i = 0; i < topics; i++)
        {
            var topic = new Topic { Name = reader.ReadString(flex) };
            int partitions = reader.ReadNonNullArrayLength(flex, 13);
            for (int p = 0; p < partitions; p++)
            {
                var partition = new Partition { PartitionIndex = reader.ReadInt32(), CommittedOffset = reader.ReadInt64() };
                if (version >= 6)
                    partition.CommittedLeaderEpoch = reader.ReadInt32();
                if (version == 1)
                    partition.CommitTimestamp = reader.ReadInt64();
                partition.CommittedMetadata = reader.ReadNullableString(flex);
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
        bool flex = version >= 8;
        writer.WriteString(GroupId, flex);
        if (version >= 1)
        {
            writer.WriteInt32(GenerationIdOrMemberEpoch);
            writer.WriteString(MemberId, flex);
        }
        if (version >= 7)
            writer.WriteNullableString(GroupInstanceId, flex);
        if (version >= 2 && version <= 4)
            writer.WriteInt64(RetentionTimeMs);
        writer.WriteArrayLength(Topics.Count, flex);
        foreach (Topic topic in Topics)
        {
            writer.WriteString(topic.Name, flex);
            writer.WriteArrayLength(topic.Partitions.Count, flex);
            foreach (Partition partition in topic.Partitions)
            {
                writer.WriteInt32(partition.PartitionIndex);
                writer.WriteInt64(partition.CommittedOffset);
                if (version >= 6)
                    writer.WriteInt32(partition.CommittedLeaderEpoch);
                if (version == 1)
                    writer.WriteInt64(partition.CommitTimestamp);
                writer.WriteNullableString(partition.CommittedMetadata, flex);
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

        public long CommittedOffset { get; set; }

        /// <summary>v6+.</summary>
        public int CommittedLeaderEpoch { get; set; } = -1;

        /// <summary>v1 only.</summary>
        public long CommitTimestamp { get; set; } = -1;

        public string? CommittedMetadata { get; set; }
    }
}
