namespace LogStore;

/// <summary>A named, partitioned log. Thread-safe.</summary>
public sealed class Topic
{
    internal Topic(string name, TopicConfig config, IReadOnlyList<Partition> partitions)
    {
        Name = name;
        Config = config;
        Partitions = partitions;
        IsInternal = InternalTopics.IsInternal(name);
    }

    /// <summary>True for a topic LogStore keeps for itself (<c>__consumer_offsets</c>, Kafka's internal topics): users
    /// can read it, but not write, create or delete it (<see cref="InvalidTopicException"/>).</summary>
    public bool IsInternal { get; }

    /// <summary>The topic's name.</summary>
    public string Name { get; }

    /// <summary>The topic's settings, as persisted.</summary>
    public TopicConfig Config { get; }

    /// <summary>The partitions, indexed by number.</summary>
    public IReadOnlyList<Partition> Partitions { get; }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
