namespace LogStore;

/// <summary>A partition change (an ISR shrink or expand) was computed from a partition epoch the controller has since
/// moved past, or from a leader epoch that is no longer current (Kafka's INVALID_UPDATE_VERSION and
/// FENCED_LEADER_EPOCH): the partition is unchanged; the leader must read the new state and decide again.</summary>
public sealed class InvalidUpdateVersionException : LogStoreException
{
    /// <summary>Creates the exception for <paramref name="partition"/>.</summary>
    public InvalidUpdateVersionException(TopicPartition partition, string detail)
        : base($"The change of {partition} is stale: {detail}.") => TopicPartition = partition;

    /// <summary>The partition.</summary>
    public TopicPartition TopicPartition { get; }
}
