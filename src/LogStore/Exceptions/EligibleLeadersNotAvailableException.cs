namespace LogStore;

/// <summary>No in-sync replica of the partition is alive, and the topic does not allow unclean leader election (Kafka's
/// ELIGIBLE_LEADERS_NOT_AVAILABLE): the partition keeps no leader rather than lose acknowledged records.</summary>
public sealed class EligibleLeadersNotAvailableException : LogStoreException
{
    /// <summary>Creates the exception for <paramref name="partition"/>.</summary>
    public EligibleLeadersNotAvailableException(TopicPartition partition)
        : base($"No live in-sync replica can lead {partition}, and unclean leader election is off for its topic.") => TopicPartition = partition;

    /// <summary>The partition.</summary>
    public TopicPartition TopicPartition { get; }
}
