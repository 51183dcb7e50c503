namespace LogStore;

/// <summary>A write reached a replica that is not the partition's leader.</summary>
public sealed class NotLeaderException : LogStoreException
{
    /// <summary>Creates the exception.</summary>
    public NotLeaderException(TopicPartition partition)
        : this(partition, leaderId: null)
    {
    }

    /// <summary>Creates the exception, naming the current leader when it is known.</summary>
    public NotLeaderException(TopicPartition partition, int? leaderId)
        : base(leaderId is { } id
            ? $"This node is not the leader of {partition}; send writes to the leader, node {id}."
            : $"This node is not the leader of {partition}; send writes to the leader.")
    {
        TopicPartition = partition;
        LeaderId = leaderId;
    }

    /// <summary>The partition written to.</summary>
    public TopicPartition TopicPartition { get; }

    /// <summary>The node id of the partition's current leader, or null when this node does not know it.</summary>
    public int? LeaderId { get; }
}
