namespace LogStore;

/// <summary>A named, partitioned log. Thread-safe.</summary>
public sealed class Topic
{
    // Replaced whole (never changed in place) by Broker.AlterTopicConfigAsync and CreatePartitionsAsync: one read is
    // always a consistent configuration or partition list.
    private volatile TopicConfig _config;
    private volatile IReadOnlyList<Partition> _partitions;

    internal Topic(string name, Guid topicId, TopicConfig config, IReadOnlyList<Partition> partitions)
    {
        Name = name;
        TopicId = topicId;
        _config = config;
        _partitions = partitions;
        IsInternal = InternalTopics.IsInternal(name);
    }

    /// <summary>True for a topic LogStore keeps for itself (<c>__consumer_offsets</c>, Kafka's internal topics): users
    /// can read it, but not write, create or delete it (<see cref="InvalidTopicException"/>).</summary>
    public bool IsInternal { get; }

    /// <summary>The topic's name.</summary>
    public string Name { get; }

    /// <summary>
    /// The topic's id, as Kafka gives every topic one (KIP-516): random at creation, kept in each partition directory's
    /// <c>partition.metadata</c>, and never reused, so a topic deleted and created again under the same name has a new
    /// one. Kafka clients name topics by it (Fetch v13+, Metadata v10+). A store created before topic ids gets them at
    /// its next writable open. <see cref="Guid.Empty"/> (Kafka's zero id, "none") only from a read-only open of a store
    /// whose partitions hold no id yet, or on a cluster node until it takes the controller's id for a topic whose
    /// creation a crash cut short. The bytes are Kafka's in big-endian order (<c>new Guid(bytes, bigEndian: true)</c>).
    /// </summary>
    public Guid TopicId { get; private set; }

    /// <summary>A cluster node's topic found without an id (a crash while it was being created): the controller's id,
    /// once its partitions hold it.</summary>
    internal void AdoptTopicId(Guid topicId) => TopicId = topicId;

    /// <summary>The topic's settings, as persisted (<see cref="Broker.AlterTopicConfigAsync"/> replaces them).</summary>
    public TopicConfig Config
    {
        get => _config;
        internal set => _config = value;
    }

    /// <summary>The partitions, indexed by number (<see cref="Broker.CreatePartitionsAsync"/> adds to them: read the list
    /// once, not its count and then its items from two reads).</summary>
    public IReadOnlyList<Partition> Partitions
    {
        get => _partitions;
        internal set => _partitions = value;
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
