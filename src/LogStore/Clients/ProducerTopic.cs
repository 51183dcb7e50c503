namespace LogStore.Clients;

/// <summary>
/// A topic as one producer sees it: its partitions' open batches, the batch size limit, and the sticky partition for
/// null keys. Tied to one <see cref="LogStore.Topic"/> object: a topic deleted and created again gets a new one.
/// </summary>
internal sealed class ProducerTopic
{
    private int _sticky = -1;

    public ProducerTopic(Topic topic, object topicsVersion, int batchSize)
    {
        Topic = topic;
        Name = topic.Name;
        TopicsVersion = topicsVersion;
        var partitions = new ProducerPartition[topic.Partitions.Count];
        for (int i = 0; i < partitions.Length; i++)
            partitions[i] = new ProducerPartition(this, topic.Partitions[i]);
        Partitions = partitions;

        // A batch must also fit the topic's max.message.bytes, or its append would fail every record in it.
        SealLimit = Math.Min(batchSize, topic.Config.MaxMessageBytes);
        FlushOnAck = topic.Config.FlushMessages is not null || topic.Config.FlushInterval is not null;
    }

    public Topic Topic { get; }

    public string Name { get; }

    /// <summary>The broker's topic table this was last checked against; a new table means the topic may be gone.</summary>
    public object TopicsVersion { get; set; }

    public ProducerPartition[] Partitions { get; }

    /// <summary>The size at which an open batch takes no more records.</summary>
    public int SealLimit { get; }

    /// <summary>Whether <see cref="Acks.All"/> deliveries wait for an fsync (the topic has a flush policy).</summary>
    public bool FlushOnAck { get; }

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
