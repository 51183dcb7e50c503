namespace LogStore;

/// <summary>No topic (or partition) of that name exists in this broker.</summary>
public sealed class UnknownTopicException : LogStoreException
{
    /// <summary>Creates the exception for <paramref name="topic"/>.</summary>
    public UnknownTopicException(string topic, int? partition = null)
        : base(partition is null
            ? $"Topic '{topic}' does not exist. Create it with CreateTopicAsync first."
            : $"Partition {partition} of topic '{topic}' does not exist.")
    {
        Topic = topic;
        Partition = partition;
    }

    /// <summary>The topic's name.</summary>
    public string Topic { get; }

    /// <summary>The partition asked for, when the topic exists but the partition does not.</summary>
    public int? Partition { get; }
}
