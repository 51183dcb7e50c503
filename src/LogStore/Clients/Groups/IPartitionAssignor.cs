namespace LogStore.Clients.Groups;

/// <summary>
/// Computes a group's assignment: which member consumes which partition (Kafka's ConsumerPartitionAssignor).
/// Implementations are pure functions of their inputs, deterministic (members and partitions are sorted first)
/// and thread-safe; every subscribed partition goes to exactly one member subscribed to its topic.
/// </summary>
internal interface IPartitionAssignor
{
    /// <summary>Kafka's name for the strategy ("range", "roundrobin", "cooperative-sticky").</summary>
    string Name { get; }

    /// <summary>Whether a rebalance revokes every partition first (eager) or only those that move (cooperative).</summary>
    RebalanceProtocol Protocol { get; }

    /// <summary>
    /// Assigns the partitions of every subscribed topic. The result has an entry, possibly empty, for every member,
    /// each list sorted by topic then partition.
    /// </summary>
    /// <param name="members">The members with their subscriptions and the partitions they own now (used by sticky assignors).</param>
    /// <param name="partitionsPerTopic">How many partitions each subscribed topic has; a topic missing here has none.</param>
    Dictionary<string, List<TopicPartition>> Assign(IReadOnlyList<MemberSubscription> members, IReadOnlyDictionary<string, int> partitionsPerTopic);
}

/// <summary>Kafka's two rebalance protocols.</summary>
internal enum RebalanceProtocol
{
    /// <summary>Every member revokes all its partitions at each rebalance, then receives its new assignment whole.</summary>
    Eager,

    /// <summary>Members revoke only the partitions that leave them; the new owner receives them once released.</summary>
    Cooperative,
}

/// <summary>One member as an assignor sees it.</summary>
/// <param name="MemberId">The member's id; assignors order members by it (ordinal).</param>
/// <param name="Topics">The topics it subscribes to.</param>
/// <param name="OwnedPartitions">The partitions it holds or was last assigned (empty for a new member).</param>
internal sealed record MemberSubscription(string MemberId, IReadOnlyCollection<string> Topics, IReadOnlyCollection<TopicPartition> OwnedPartitions)
{
    /// <summary>A member without owned partitions.</summary>
    public MemberSubscription(string memberId, IReadOnlyCollection<string> topics)
        : this(memberId, topics, Array.Empty<TopicPartition>())
    {
    }
}
