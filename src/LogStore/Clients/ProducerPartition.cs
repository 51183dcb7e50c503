namespace LogStore.Clients;

/// <summary>
/// One partition as a producer sees it: at most one open batch, guarded by <see cref="Lock"/>. Sealing under that
/// lock and queueing in the same step keeps a partition's batches in order all the way to the log.
/// </summary>
internal sealed class ProducerPartition(ProducerTopic topic, Partition partition)
{
    /// <summary>Guards <see cref="Open"/> and the open batch's builder.</summary>
    public Lock Lock { get; } = new();

    public ProducerTopic Topic { get; } = topic;

    public Partition Partition { get; } = partition;

    public TopicPartition Id { get; } = partition.Id;

    /// <summary>The batch records are appended to, or null.</summary>
    public ProducerBatch? Open { get; set; }

    /// <summary>Sender only: the high watermark the current round's appends need for <see cref="Acks.All"/> (the last
    /// appended offset + 1), or -1.</summary>
    public long RequiredHighWatermark { get; set; } = -1;

    /// <summary>Sender only, for an idempotent <see cref="Acks.All"/> producer in a cluster: the batches appended here
    /// (by every round in flight), in order, with what each was built into, kept until the high watermark passes them,
    /// so that those a leadership move leaves uncommitted can go to the new leader (Sender.Forwarding.cs).</summary>
    public List<ProducerBatch> Uncommitted { get; } = [];

    /// <summary>What each of <see cref="Uncommitted"/> was built into.</summary>
    public List<RecordBatch> UncommittedBuilt { get; } = [];

    /// <summary>Sender only: this partition's batches of the current round, in seal order.</summary>
    public List<ProducerBatch> Round { get; } = [];

    /// <summary>Sender only, for an idempotent producer: the sequence of the next record built for this partition.</summary>
    public int NextSequence { get; set; }

    /// <summary>Sender only: which producer id and epoch <see cref="NextSequence"/> counts for; under a newer one the
    /// partition starts again at sequence 0.</summary>
    public int SequenceIdentity { get; set; }
}
