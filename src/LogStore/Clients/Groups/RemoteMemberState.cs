namespace LogStore.Clients.Groups;

/// <summary>
/// What a member that speaks Kafka's classic group protocol over the network (JoinGroup, SyncGroup, Heartbeat) adds to
/// a <see cref="GroupMember"/>: the generation it last joined, whether it synced it, and the timeouts it asked for.
/// Read and written under the group's lock.
/// </summary>
internal sealed class RemoteMemberState
{
    /// <summary>How long the member may take to rejoin after a rebalance before it is evicted (rebalance.timeout.ms,
    /// the client's max.poll.interval.ms).</summary>
    public required TimeSpan RebalanceTimeout { get; set; }

    /// <summary>The static member id (group.instance.id), null for a dynamic member.</summary>
    public string? GroupInstanceId { get; init; }

    /// <summary>The generation its last JoinGroup answered; its Heartbeat, SyncGroup and OffsetCommit must name it.</summary>
    public int JoinedGeneration { get; set; }

    /// <summary>True once its SyncGroup of <see cref="JoinedGeneration"/> returned an assignment.</summary>
    public bool Synced { get; set; }

    /// <summary>When a rebalance asked it to rejoin (TimeProvider timestamp), 0 while it is up to date.</summary>
    public long RejoinRequestedAt { get; set; }

    /// <summary>Its subscription as it sent it (ConsumerProtocolSubscription bytes), for DescribeGroups.</summary>
    public byte[] Metadata { get; set; } = [];

    /// <summary>The version of that subscription: its assignment is written in the same version (at most 3).</summary>
    public short SubscriptionVersion { get; set; }
}

/// <summary>A network member's JoinGroup, decoded: what <see cref="ConsumerGroup.JoinRemote"/> and
/// <see cref="ConsumerGroup.RejoinRemote"/> need.</summary>
/// <param name="Assignor">The assignor of the protocol chosen among those the member offered.</param>
/// <param name="Topics">The subscribed topics, sorted (ordinal) and distinct.</param>
/// <param name="OwnedPartitions">What a cooperative member says it still holds (subscription v1+).</param>
/// <param name="SessionTimeout">session.timeout.ms.</param>
/// <param name="RebalanceTimeout">rebalance.timeout.ms (the session timeout for JoinGroup v0).</param>
/// <param name="GroupInstanceId">group.instance.id, null for a dynamic member.</param>
/// <param name="SubscriptionVersion">The version of the subscription bytes.</param>
/// <param name="Metadata">The subscription bytes.</param>
internal sealed record RemoteJoin(
    IPartitionAssignor Assignor,
    string[] Topics,
    IReadOnlyCollection<TopicPartition> OwnedPartitions,
    TimeSpan SessionTimeout,
    TimeSpan RebalanceTimeout,
    string? GroupInstanceId,
    short SubscriptionVersion,
    byte[] Metadata);

/// <summary>How the group answered a network member's request; the listener maps it to Kafka's error codes.</summary>
internal enum RemoteResult
{
    /// <summary>Done.</summary>
    Ok,

    /// <summary>SyncGroup only: partitions of its assignment are still held by other members.</summary>
    Waiting,

    /// <summary>No such member: it left, was evicted, or never joined (UNKNOWN_MEMBER_ID).</summary>
    UnknownMember,

    /// <summary>The request names a generation the member is not in (ILLEGAL_GENERATION).</summary>
    IllegalGeneration,

    /// <summary>The group changed since the member joined: it must rejoin (REBALANCE_IN_PROGRESS).</summary>
    RebalanceInProgress,

    /// <summary>A commit names partitions the member does not own (ILLEGAL_GENERATION, as an in-process member's
    /// CommitFailedException).</summary>
    NotOwned,
}
