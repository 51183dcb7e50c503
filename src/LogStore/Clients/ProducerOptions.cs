namespace LogStore;

/// <summary>How a producer batches, compresses and waits (Kafka's producer settings).</summary>
public sealed class ProducerOptions
{
    /// <summary>Bytes at which a partition's open batch is sealed. Default 16 KiB (batch.size).</summary>
    public int BatchSize { get; init; } = 16 * 1024;

    /// <summary>Time after a batch's first record at which it is sealed even when not full. Default 5 ms (linger.ms).</summary>
    public TimeSpan Linger { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Total bytes of batch buffers the producer may hold; producing waits when they are all in use. Default 32 MiB (buffer.memory).</summary>
    public long BufferMemory { get; init; } = 32L << 20;

    /// <summary>How long producing waits for a free buffer before it throws. Default 60 s (max.block.ms).</summary>
    public TimeSpan MaxBlock { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How each batch is compressed. Default none (compression.type).</summary>
    public CompressionType Compression { get; init; } = CompressionType.None;

    /// <summary>What a delivery waits for. Default <see cref="Acks.All"/> (acks).</summary>
    public Acks Acks { get; init; } = Acks.All;

    /// <summary>How long an <see cref="Acks.All"/> delivery waits, once appended by the leader, for the in-sync replicas to
    /// hold it; then it fails with <see cref="ReplicationTimeoutException"/>. Unused on a single node, where the append is
    /// every replica's. Default 30 s (request.timeout.ms).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// In a cluster, how long after its batch was opened a record may take to be delivered when its partition's leader
    /// is another node: a batch the leader refuses as no longer its (NOT_LEADER_OR_FOLLOWER), or that a network failure
    /// stops, is sent again to the leader of the next controller image until then, and then fails with the last error.
    /// Unused for batches appended on this node. Default 120 s (delivery.timeout.ms).
    /// </summary>
    public TimeSpan DeliveryTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Whether the producer is idempotent (enable.idempotence, default true as in Kafka's Java client): it takes a producer
    /// id and epoch from the broker (the allocator that answers InitProducerId), and stamps every batch with them and with
    /// its partition's next sequence number, so that the partition appends no batch twice and none out of order. A batch
    /// the partition refuses (<see cref="OutOfOrderSequenceException"/>, <see cref="InvalidProducerEpochException"/>)
    /// fails its deliveries with that exception, and the producer continues under a new producer id. Costs a few header
    /// fields and a dictionary lookup per batch, nothing per record. Independent of <see cref="Acks"/>: the in-process
    /// append is synchronous, so there is no unacknowledged request for acks to govern.
    /// </summary>
    public bool EnableIdempotence { get; init; } = true;

    /// <summary>Chooses partitions; null for Kafka's default: murmur2 of the key, sticky for null keys (partitioner.class).</summary>
    public IPartitioner? Partitioner { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(Linger, TimeSpan.Zero, nameof(Linger));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BufferMemory, nameof(BufferMemory));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero, nameof(RequestTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(DeliveryTimeout, TimeSpan.Zero, nameof(DeliveryTimeout));
        if (MaxBlock < TimeSpan.Zero && MaxBlock != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(MaxBlock), MaxBlock, "MaxBlock must be zero or more, or Timeout.InfiniteTimeSpan.");
        if ((uint)Compression > (uint)CompressionType.Zstd)
            throw new ArgumentOutOfRangeException(nameof(Compression), Compression, "Kafka's codecs are None, Gzip, Snappy, Lz4 and Zstd.");
        if (Acks is not (Acks.None or Acks.Leader or Acks.All))
            throw new ArgumentOutOfRangeException(nameof(Acks), Acks, "Acks is None, Leader or All.");

        // The pool must hold at least one batch buffer (see Buffers.BufferPool.CostOf for what one costs).
        long oneBuffer = (long)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(BatchSize, RecordBatch.HeaderSize))
            * (Compression == CompressionType.None ? 1 : 3);
        if (BufferMemory < oneBuffer)
        {
            throw new ArgumentOutOfRangeException(nameof(BufferMemory), BufferMemory,
                $"BufferMemory must hold at least one batch buffer: {oneBuffer} bytes for BatchSize {BatchSize} with {Compression} compression.");
        }
    }
}
