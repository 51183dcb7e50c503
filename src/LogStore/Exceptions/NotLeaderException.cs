namespace LogStore;

/// <summary>A write reached a replica that is not the partition's leader.</summary>
public sealed class NotLeaderException : LogStoreException
{
    /// <summary>Creates the exception.</summary>
    public NotLeaderException(TopicPartition partition)
        : base($"This node is not the leader of {partition}; send writes to the leader.") => TopicPartition = partition;

    /// <summary>The partition written to.</summary>
    public TopicPartition TopicPartition { get; }
}
