namespace LogStore;

/// <summary>
/// A partition count cannot be applied to a topic (Kafka's InvalidPartitionsException, INVALID_PARTITIONS): a count can
/// only grow, and only up to <see cref="TopicConfig.MaxPartitions"/>. Nothing was changed.
/// </summary>
public sealed class InvalidPartitionsException : LogStoreException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="topic">The topic.</param>
    /// <param name="currentCount">Its partitions now.</param>
    /// <param name="requestedCount">The total asked for.</param>
    public InvalidPartitionsException(string topic, int currentCount, int requestedCount)
        : base(requestedCount <= currentCount
            ? $"Topic '{topic}' has {currentCount} partitions; the total asked for, {requestedCount}, must be larger: a partition " +
              "count can only grow (its records are where their keys were hashed to)."
            : $"Topic '{topic}' cannot have {requestedCount} partitions: at most TopicConfig.MaxPartitions ({TopicConfig.MaxPartitions}).")
    {
        Topic = topic;
        CurrentCount = currentCount;
        RequestedCount = requestedCount;
    }

    /// <summary>The topic's name.</summary>
    public string Topic { get; }

    /// <summary>The topic's partition count now.</summary>
    public int CurrentCount { get; }

    /// <summary>The total count asked for.</summary>
    public int RequestedCount { get; }
}
