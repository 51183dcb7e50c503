namespace LogStore.Clients.Groups;

/// <summary>
/// One in-process consumer's membership of its group, as the consumer sees it: a <see cref="GroupMember"/> of a group
/// this node coordinates, or a <see cref="RemoteGroupMember"/> of a group coordinated by another node of the cluster.
/// The consumer drives the hand-over through it on its own thread (see <see cref="ConsumerGroup"/>'s remarks):
/// <see cref="BeginSync"/>, revoke, <see cref="Release"/>, <see cref="TakeAssigned"/>. A membership ends when it
/// leaves or is evicted; the consumer then joins again and gets a new one.
/// </summary>
internal interface IGroupMembership
{
    /// <summary>The group id.</summary>
    string GroupId { get; }

    /// <summary>The member id the coordinator gave.</summary>
    string MemberId { get; }

    /// <summary>Changes the subscribed topics (sorted, distinct); the group rebalances.</summary>
    void UpdateSubscription(string[] topics);

    /// <summary>
    /// Starts acting on a change the membership raised (<see cref="PollSignal.GroupChanged"/>): true when the member
    /// was evicted (the consumer drops everything and joins again), else the partitions to revoke now, sorted.
    /// </summary>
    bool BeginSync(out List<TopicPartition> revoke);

    /// <summary>Gives up <paramref name="partitions"/> once the consumer revoked them.</summary>
    void Release(IReadOnlyList<TopicPartition> partitions);

    /// <summary>Takes the partitions now assigned to the member that it does not hold yet, sorted, possibly none.</summary>
    List<TopicPartition> TakeAssigned();

    /// <summary>Commits <paramref name="offsets"/>, fenced by the membership.</summary>
    /// <exception cref="CommitFailedException">The member was evicted, left, or does not own one of the partitions; nothing was stored.</exception>
    void Commit(IReadOnlyList<(TopicPartition Partition, long? Offset)> offsets);

    /// <summary>Leaves the group, releasing whatever the member still holds. Never throws for the group's sake.</summary>
    void Leave();
}
