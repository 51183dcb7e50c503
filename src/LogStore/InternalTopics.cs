using LogStore.Clients.Groups;

namespace LogStore;

/// <summary>
/// The one place that knows which topic names belong to the broker itself (Kafka's <c>Topic.INTERNAL_TOPICS</c> and
/// the KRaft metadata log) and what an internal topic's configuration must be. Users can neither create, delete nor
/// write them (<see cref="InvalidTopicException"/>, as Kafka answers INVALID_TOPIC_EXCEPTION); only the component that
/// owns one (the group coordinator for <c>__consumer_offsets</c>) appends to it, through the internal log. Stateless
/// and thread-safe.
/// </summary>
/// <remarks>
/// Names merely starting with two underscores stay legal user topics, as in Kafka: only the names listed here are
/// reserved, so an application's own <c>__audit</c> keeps working.
/// </remarks>
internal static class InternalTopics
{
    /// <summary>Kafka's topic of committed offsets and group metadata (offsets.topic.*).</summary>
    public const string ConsumerOffsets = OffsetStore.TopicName;

    /// <summary>Kafka's topic of transaction coordinator state; reserved, LogStore has no transactions.</summary>
    public const string TransactionState = "__transaction_state";

    /// <summary>Kafka's topic of share-group state (KIP-932); reserved.</summary>
    public const string ShareGroupState = "__share_group_state";

    /// <summary>Kafka's KRaft metadata log; reserved.</summary>
    public const string ClusterMetadata = "__cluster_metadata";

    /// <summary>True when <paramref name="topic"/> is reserved for the broker.</summary>
    public static bool IsInternal(string? topic) =>
        topic is ConsumerOffsets or TransactionState or ShareGroupState or ClusterMetadata;

    /// <summary>Kafka's offsets.topic.replication.factor default: more copies than this buy no safety a group needs.</summary>
    public const int OffsetsReplicationFactor = 3;

    /// <summary>
    /// The configuration an internal topic is created with: compacted, kept forever (a delete policy or a retention
    /// limit would drop committed offsets), replicated on min(3, <paramref name="nodeCount"/>) nodes of a cluster (Kafka's
    /// offsets.topic.replication.factor, capped so a one- or two-node cluster can create it). The minimum ISR stays the
    /// default, 1, as Kafka's offsets topic has it (min.insync.replicas is not set on it): a commit then waits for the
    /// in-sync replicas there are, and a lone survivor still coordinates. For an existing topic only
    /// <see cref="Enforce"/> applies.
    /// </summary>
    public static TopicConfig CreationConfig(string topic, int nodeCount = 1) => topic switch
    {
        ConsumerOffsets => new TopicConfig
        {
            Partitions = OffsetStore.PartitionCount,
            ReplicationFactor = Math.Clamp(nodeCount, 1, OffsetsReplicationFactor),
            CleanupPolicy = CleanupPolicy.Compact,
            SegmentBytes = 100L << 20, // offsets.topic.segment.bytes
            RetentionTime = null,
            RetentionBytes = null,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(topic), topic, "No component of LogStore creates this internal topic."),
    };

    /// <summary>
    /// The settings an internal topic keeps whatever its configuration file says: cleanup.policy=compact, no time or
    /// size retention. A file that says otherwise (hand-edited, or written by a version that let users create the
    /// topic) is overridden in memory, never rewritten: the caller logs the override, and the file is left for the
    /// operator. Everything else (partitions, segment sizes, flush policy) is taken from the file.
    /// </summary>
    /// <returns><paramref name="config"/> itself when it already complies, else a corrected copy.</returns>
    public static TopicConfig Enforce(TopicConfig config)
    {
        bool complies = config.CleanupPolicy == CleanupPolicy.Compact && config.RetentionTime is null && config.RetentionBytes is null;
        return complies ? config : config.CompactedForever();
    }
}
