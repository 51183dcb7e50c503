namespace LogStore;

/// <summary>
/// A consumer group's request reached a node that does not coordinate the group (Kafka's NOT_COORDINATOR): in a
/// cluster the coordinator of group g is the leader of <c>__consumer_offsets</c> partition partitionFor(g), and it
/// moves with that leadership. Nothing of the request was applied; look the coordinator up again and retry there.
/// </summary>
public sealed class NotCoordinatorException : LogStoreException
{
    /// <summary>Creates the exception, naming the coordinator when it is known.</summary>
    public NotCoordinatorException(string groupId, int? coordinatorId)
        : base(coordinatorId is { } id
            ? $"This node does not coordinate consumer group '{groupId}'; node {id} does (it leads the group's __consumer_offsets partition)."
            : $"This node does not coordinate consumer group '{groupId}', and no coordinator is available now (the group's __consumer_offsets partition has no leader here yet).")
    {
        GroupId = groupId;
        CoordinatorId = coordinatorId;
    }

    /// <summary>The group.</summary>
    public string GroupId { get; }

    /// <summary>The node id of the group's coordinator, or null when this node does not know it.</summary>
    public int? CoordinatorId { get; }
}
