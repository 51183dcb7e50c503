namespace LogStore;

/// <summary>
/// A consumer tried to join a group whose members use another partition assignment strategy (Kafka's
/// INCONSISTENT_GROUP_PROTOCOL): every member of a group must share one <see cref="PartitionAssignmentStrategy"/>.
/// Nothing changed: the group and its members go on as before.
/// </summary>
public sealed class InconsistentGroupProtocolException : LogStoreException
{
    /// <summary>Creates the exception for <paramref name="groupId"/>, with both strategies by their Kafka names
    /// ("range", "roundrobin", "cooperative-sticky").</summary>
    public InconsistentGroupProtocolException(string groupId, string groupStrategy, string memberStrategy)
        : base($"Group '{groupId}' uses the {groupStrategy} assignor; a member with {memberStrategy} cannot join it " +
            "(Kafka's InconsistentGroupProtocol). Use the same PartitionAssignmentStrategy in every member.")
    {
        GroupId = groupId;
        GroupStrategy = groupStrategy;
        MemberStrategy = memberStrategy;
    }

    /// <summary>The group's id.</summary>
    public string GroupId { get; }

    /// <summary>The strategy the group's members use, by its Kafka name.</summary>
    public string GroupStrategy { get; }

    /// <summary>The strategy of the consumer that was refused, by its Kafka name.</summary>
    public string MemberStrategy { get; }
}
