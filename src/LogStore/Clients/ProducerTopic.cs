namespace LogStore.Clients;

/// <summary>
/// A topic as one producer sees it: its partitions' open batches, the batch size limit, and the sticky partition for
/// null keys. Tied to one <see cref="LogStore.Topic"/> object: a topic deleted and created again gets a new one; one
/// whose configuration was altered or that got partitions is brought up to date (<see cref="Refresh"/>), keeping the
/// open batches of its existing partitions.
/// </summary>
internal sealed class ProducerTopic
{
    private readonly int _batchSize;
    private int _sticky = -1;
    private volatile ProducerPartition[] _partitions;
    private volatile TopicConfig _config = null!;
    private volatile int _sealLimit;
    private volatile bool _flushOnAck;

    public ProducerTopic(Topic topic, object topicsVersion, int batchSize)
    {
        Topic = topic;
        Name = topic.Name;
        TopicsVersion = topicsVersion;
        _batchSize = batchSize;
        IReadOnlyList<Partition> current = topic.Partitions;
        var partitions = new ProducerPartition[current.Count];
        for (int i = 0; i < partitions.Length; i++)
            partitions[i] = new ProducerPartition(this, current[i]);
        _partitions = partitions;
        Apply(topic.Config);
    }

    public Topic Topic { get; }

    public string Name { get; }

    /// <summary>The broker's topic table this was last checked against; a new table means the topic may have changed.</summary>
    public object TopicsVersion { get; set; }

    /// <summary>The partitions; replaced by a longer array when the topic grows (an index valid once stays valid).</summary>
    public ProducerPartition[] Partitions => _partitions;

    /// <summary>The size at which an open batch takes no more records.</summary>
    public int SealLimit => _sealLimit;

    /// <summary>Whether <see cref="Acks.All"/> deliveries wait for an fsync (the topic has a flush policy).</summary>
    public bool FlushOnAck => _flushOnAck;

    /// <summary>False once the topic's configuration or partition count changed since this was built or refreshed.</summary>
    public bool IsCurrent => ReferenceEquals(_config, Topic.Config) && _partitions.Length == Topic.Partitions.Count;

    /// <summary>Takes the topic's current configuration and partitions (new ones appended). Callers serialise it.</summary>
    public void Refresh()
    {
        IReadOnlyList<Partition> current = Topic.Partitions;
        ProducerPartition[] known = _partitions;
        if (current.Count > known.Length)
        {
            var grown = new ProducerPartition[current.Count];
            known.CopyTo(grown, 0);
            for (int i = known.Length; i < grown.Length; i++)
                grown[i] = new ProducerPartition(this, current[i]);
            _partitions = grown;
        }
        Apply(Topic.Config);
    }

    private void Apply(TopicConfig config)
    {
        // A batch must also fit the topic's max.message.bytes, or its append would fail every record in it.
        _sealLimit = Math.Min(_batchSize, config.MaxMessageBytes);
        _flushOnAck = config.FlushMessages is not null || config.FlushInterval is not null;
        _config = config;
    }

    /// <summary>The partition null-key records currently stick to.</summary>
    public int StickyPartition()
    {
        int current = Volatile.Read(ref _sticky);
        return current >= 0 ? current : NextStickyPartition(-1);
    }

    /// <summary>
    /// Kafka's StickyPartitionCache.nextPartition: called when <paramref name="previous"/>'s batch was sealed and a new
    /// batch is needed. Moves to another partition chosen at random, unless another thread already moved.
    /// </summary>
    public int NextStickyPartition(int previous)
    {
        int current = Volatile.Read(ref _sticky);
        if (current >= 0 && current != previous)
            return current;
        int count = Partitions.Length;
        int next = count == 1 || previous < 0
            ? Random.Shared.Next(count)
            : (previous + 1 + Random.Shared.Next(count - 1)) % count;
        int seen = Interlocked.CompareExchange(ref _sticky, next, current);
        return seen == current ? next : seen;
    }
}
