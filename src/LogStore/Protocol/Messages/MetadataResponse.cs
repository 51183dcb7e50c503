namespace LogStore.Protocol;

/// <summary>Metadata response (key 3, v0–v13, flexible from v9).</summary>
internal sealed class MetadataResponse : IKafkaMessage<MetadataResponse>, IKafkaResponse
{
    /// <summary>Kafka's "no authorized operations computed" marker.</summary>
    public const int AuthorizedOperationsOmitted = int.MinValue;

    public static ApiKey ApiKey => ApiKey.Metadata;

    /// <summary>v3+.</summary>
    public int ThrottleTimeMs { get; set; }

    public List<Broker> Brokers { get; set; } = [];

    /// <summary>v2+.</summary>
    public string? ClusterId { get; set; }

    /// <summary>v1+.</summary>
    public int ControllerId { get; set; } = -1;

    public List<Topic> Topics { get; set; } = [];

    /// <summary>v8–v10.</summary>
    public int ClusterAuthorizedOperations { get; set; } = AuthorizedOperationsOmitted;

    /// <summary>v13+: a top-level error (KIP-1102's REBOOTSTRAP_REQUIRED).</summary>
    public ErrorCode ErrorCode { get; set; }

    public static MetadataResponse Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 9;
        var response = new MetadataResponse();
        if (version >= 3)
            response.ThrottleTimeMs = reader.ReadInt32();
        int brokers = reader.ReadNonNullArrayLength(flex, 10);
        for (int i = 0; i < brokers; i++)
        {
            var broker = new Broker { NodeId = reader.ReadInt32(), Host = reader.ReadString(flex), Port = reader.ReadInt32() };
            if (version >= 1)
                broker.Rack = reader.ReadNullableString(flex);
            if (flex)
                reader.SkipTaggedFields();
            response.Brokers.Add(broker);
        }
        if (version >= 2)
            response.ClusterId = reader.ReadNullableString(flex);
        if (version >= 1)
            response.ControllerId = reader.ReadInt32();
        int topics = reader.ReadNonNullArrayLength(flex, 8);
        for (int i = 0; i < topics; i++)
            response.Topics.Add(Topic.Read(ref reader, version));
        if (version >= 8 && version <= 10)
            response.ClusterAuthorizedOperations = reader.ReadInt32();
        if (version >= 13)
            response.ErrorCode = (ErrorCode)reader.ReadInt16();
        if (flex)
            reader.SkipTaggedFields();
        return response;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 9;
        if (version >= 3)
            writer.WriteInt32(ThrottleTimeMs);
        writer.WriteArrayLength(Brokers.Count, flex);
        foreach (Broker broker in Brokers)
        {
            writer.WriteInt32(broker.NodeId);
            writer.WriteString(broker.Host, flex);
            writer.WriteInt32(broker.Port);
            if (version >= 1)
                writer.WriteNullableString(broker.Rack, flex);
            if (flex)
                writer.WriteEmptyTaggedFields();
        }
        if (version >= 2)
            writer.WriteNullableString(ClusterId, flex);
        if (version >= 1)
            writer.WriteInt32(ControllerId);
        writer.WriteArrayLength(Topics.Count, flex);
        foreach (Topic topic in Topics)
            topic.Write(ref writer, version);
        if (version >= 8 && version <= 10)
            writer.WriteInt32(ClusterAuthorizedOperations);
        if (version >= 13)
            writer.WriteInt16((short)ErrorCode);
        if (flex)
            writer.WriteEmptyTaggedFields();
    }

    internal sealed class Broker
    {
        public int NodeId { get; set; }

        public string Host { get; set; } = "";

        public int Port { get; set; }

        /// <summary>v1+.</summary>
        public string? Rack { get; set; }
    }

    internal sealed class Topic
    {
        public ErrorCode ErrorCode { get; set; }

        /// <summary>Null only in v12+, for a topic asked for by an unknown id.</summary>
        public string? Name { get; set; }

        /// <summary>v10+.</summary>
        public Guid TopicId { get; set; }

        /// <summary>v1+.</summary>
        public bool IsInternal { get; set; }

        public List<Partition> Partitions { get; set; } = [];

        /// <summary>v8+.</summary>
        public int TopicAuthorizedOperations { get; set; } = AuthorizedOperationsOmitted;

        internal static Topic Read(ref KafkaReader reader, short version)
        {
            bool flex = version >= 9;
            var topic = new Topic { ErrorCode = (ErrorCode)reader.ReadInt16() };
            topic.Name = version >= 12 ? reader.ReadNullableString(flex) : reader.ReadString(flex);
            if (version >= 10)
                topic.TopicId = reader.ReadUuid();
            if (version >= 1)
                topic.IsInternal = reader.ReadBool();
            int partitions = reader.ReadNonNullArrayLength(flex, 18);
            for (int i = 0; i < partitions; i++)
            {
                var partition = new Partition { ErrorCode = (ErrorCode)reader.ReadInt16(), PartitionIndex = reader.ReadInt32(), LeaderId = reader.ReadInt32() };
                if (version >= 7)
                    partition.LeaderEpoch = reader.ReadInt32();
                partition.ReplicaNodes = reader.ReadInt32Array(flex);
                partition.IsrNodes = reader.ReadInt32Array(flex);
                if (version >= 5)
                    partition.OfflineReplicas = reader.ReadInt32Array(flex);
                if (flex)
                    reader.SkipTaggedFields();
                topic.Partitions.Add(partition);
            }
            if (version >= 8)
                topic.TopicAuthorizedOperations = reader.ReadInt32();
            if (flex)
                reader.SkipTaggedFields();
            return topic;
        }

        internal void Write(ref KafkaWriter writer, short version)
        {
            bool flex = version >= 9;
            writer.WriteInt16((short)ErrorCode);
            if (version >= 12)
                writer.WriteNullableString(Name, flex);
            else
                writer.WriteString(Name ?? "", flex);
            if (version >= 10)
                writer.WriteUuid(TopicId);
            if (version >= 1)
                writer.WriteBool(IsInternal);
            writer.WriteArrayLength(Partitions.Count, flex);
            foreach (Partition partition in Partitions)
            {
                writer.WriteInt16((short)partition.ErrorCode);
                writer.WriteInt32(partition.PartitionIndex);
                writer.WriteInt32(partition.LeaderId);
                if (version >= 7)
                    writer.WriteInt32(partition.LeaderEpoch);
                writer.WriteInt32Array(partition.ReplicaNodes, flex);
                writer.WriteInt32Array(partition.IsrNodes, flex);
                if (version >= 5)
                    writer.WriteInt32Array(partition.OfflineReplicas, flex);
                if (flex)
                    writer.WriteEmptyTaggedFields();
            }
            if (version >= 8)
                writer.WriteInt32(TopicAuthorizedOperations);
            if (flex)
                writer.WriteEmptyTaggedFields();
        }
    }

    internal sealed class Partition
    {
        public ErrorCode ErrorCode { get; set; }

        public int PartitionIndex { get; set; }

        public int LeaderId { get; set; }

        /// <summary>v7+.</summary>
        public int LeaderEpoch { get; set; } = -1;

        public List<int> ReplicaNodes { get; set; } = [];

        public List<int> IsrNodes { get; set; } = [];

        /// <summary>v5+.</summary>
        public List<int> OfflineReplicas { get; set; } = [];
    }
}
