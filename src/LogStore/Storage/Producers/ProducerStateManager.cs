using LogStore.Records;

namespace LogStore.Storage.Producers;

/// <summary>
/// What a partition knows of its idempotent producers (Kafka's ProducerStateManager, KIP-98 without transactions): per
/// producer id, its epoch and its last five batches' sequence ranges and offsets. A batch that repeats one of those (a
/// retry whose first attempt was appended) is answered with the first attempt's offsets and not appended again; one
/// that skips sequences is refused (<see cref="OutOfOrderSequenceException"/>); an older epoch is fenced
/// (<see cref="InvalidProducerEpochException"/>). Batches without a producer id cost the partition one header read.
/// </summary>
/// <remarks>
/// <para>In memory only: the partition log loads it (<see cref="PartitionLog"/>, lazily) from the newest snapshot
/// (<see cref="ProducerSnapshotFile"/>) and the batches after it, and snapshots it when a segment rolls and at close.
/// Kafka's snapshot keeps one batch per producer, its last, and so does ours (the file stays Kafka's): after a reopen a
/// producer's earlier batches are known again only as far as the replay after the snapshot holds them, as in Kafka.
/// A retry of the last batch — what a producer retries after a broker restart — is always recognised.</para>
/// <para>Thread-safety: used under the partition's write lock. Checking and recording a batch allocate nothing, but for
/// a producer's first batch here.</para>
/// </remarks>
internal sealed class ProducerStateManager
{
    // Kafka keeps five: the most batches an idempotent producer has in flight per partition (max.in.flight ≤ 5).
    private const int BatchesKept = 5;

    private readonly Dictionary<long, ProducerEntry> _producers = [];

    /// <summary>True once loaded from the snapshot and the log; false again after <see cref="Invalidate"/>.</summary>
    public bool IsLoaded { get; private set; }

    /// <summary>How many producers are known.</summary>
    public int Count => _producers.Count;

    /// <summary>Forgets everything, to be loaded again (after a failed write left it ahead of the log).</summary>
    public void Invalidate()
    {
        _producers.Clear();
        IsLoaded = false;
    }

    /// <summary>Marks the state as loaded: what <see cref="Restore"/> and <see cref="Replay"/> gave it is complete.</summary>
    public void MarkLoaded() => IsLoaded = true;

    /// <summary>Takes a producer as a snapshot kept it: its epoch and its last batch.</summary>
    public void Restore(ProducerSnapshotEntry entry)
    {
        var restored = new ProducerEntry(entry.Epoch);
        if (entry.LastOffset >= 0)
        {
            int first = SequenceBefore(entry.LastSequence, entry.OffsetDelta);
            restored.Batches.Add(new BatchMetadata(first, entry.LastSequence, entry.LastOffset - entry.OffsetDelta, entry.LastOffset, entry.Timestamp));
        }
        _producers[entry.ProducerId] = restored;
    }

    /// <summary>Records a batch read back from the log, unchecked (the loader's replay after the snapshot).</summary>
    public void Replay(RecordBatch batch) =>
        Update(batch.ProducerId, batch.ProducerEpoch, batch.BaseSequence, LastSequence(batch), batch.BaseOffset, batch.LastOffset, batch.MaxTimestamp);

    /// <summary>
    /// Checks <paramref name="batch"/> against its producer's state. Returns null when it is to be appended, or with
    /// <paramref name="duplicate"/> set when it repeats a batch appended earlier (whose offsets are returned); otherwise
    /// the error that refuses it: <see cref="InvalidProducerEpochException"/> for an older epoch,
    /// <see cref="OutOfOrderSequenceException"/> when its sequence does not follow the producer's last batch.
    /// </summary>
    public LogStoreException? Check(TopicPartition partition, RecordBatch batch, out bool duplicate, out long baseOffset, out long lastOffset)
    {
        duplicate = false;
        baseOffset = lastOffset = -1;
        long producerId = batch.ProducerId;
        if (!_producers.TryGetValue(producerId, out ProducerEntry? entry))
        {
            // A producer new to this partition starts at sequence 0; a later one lost its state here (retention removed
            // its batches): Kafka accepts it too (KIP-360), as nothing here says what came before.
            return null;
        }
        short epoch = batch.ProducerEpoch;
        int first = batch.BaseSequence;
        if (epoch < entry.Epoch)
            return new InvalidProducerEpochException(partition, producerId, epoch, entry.Epoch);
        if (epoch > entry.Epoch)
            return first == 0 ? null : new OutOfOrderSequenceException(partition, producerId, 0, first);
        int last = LastSequence(batch);
        foreach (BatchMetadata kept in entry.Batches)
        {
            if (kept.FirstSequence == first && kept.LastSequence == last)
            {
                duplicate = true;
                (baseOffset, lastOffset) = (kept.BaseOffset, kept.LastOffset);
                return null;
            }
        }
        int expected = entry.Batches.Count == 0 ? 0 : NextSequence(entry.Batches[^1].LastSequence);
        return first == expected ? null : new OutOfOrderSequenceException(partition, producerId, expected, first);
    }

    /// <summary>
    /// Whether <paramref name="batch"/> (refused by <see cref="Check"/> as out of order) repeats sequences of its epoch
    /// older than the batches kept: sequences are appended in order, once each, so it is a retry of a batch appended
    /// before them — what a producer with more than five batches in flight sends again to a new leader. Gives the
    /// base offset of the oldest batch kept and how many sequences lie between the two.
    /// </summary>
    public bool PrecedesKept(RecordBatch batch, out long keptBaseOffset, out int sequenceGap)
    {
        keptBaseOffset = -1;
        sequenceGap = 0;
        if (!_producers.TryGetValue(batch.ProducerId, out ProducerEntry? entry) || entry.Epoch != batch.ProducerEpoch || entry.Batches.Count == 0)
            return false;
        BatchMetadata oldest = entry.Batches[0];
        long gap = (oldest.FirstSequence - (long)batch.BaseSequence + int.MaxValue + 1) % ((long)int.MaxValue + 1);
        // Behind by less than half the sequence space, and the whole batch before the oldest kept one.
        if (gap == 0 || gap >= 1L << 30 || gap <= batch.LastOffsetDelta)
            return false;
        (keptBaseOffset, sequenceGap) = (oldest.BaseOffset, (int)gap);
        return true;
    }

    /// <summary>Records an appended batch of an idempotent producer, at <paramref name="baseOffset"/>.</summary>
    public void OnAppended(RecordBatch batch, long baseOffset) =>
        Update(batch.ProducerId, batch.ProducerEpoch, batch.BaseSequence, LastSequence(batch), baseOffset,
            baseOffset + batch.LastOffsetDelta, batch.MaxTimestamp);

    /// <summary>What a snapshot keeps: per producer, its epoch and its last batch (Kafka's v1 snapshot has one).</summary>
    public List<ProducerSnapshotEntry> SnapshotEntries()
    {
        var entries = new List<ProducerSnapshotEntry>(_producers.Count);
        foreach ((long producerId, ProducerEntry entry) in _producers)
        {
            if (entry.Batches.Count == 0)
            {
                entries.Add(new ProducerSnapshotEntry(producerId, entry.Epoch, -1, -1, 0, -1));
                continue;
            }
            BatchMetadata last = entry.Batches[^1];
            entries.Add(new ProducerSnapshotEntry(producerId, entry.Epoch, last.LastSequence, last.LastOffset,
                (int)(last.LastOffset - last.BaseOffset), last.Timestamp));
        }
        return entries;
    }

    private void Update(long producerId, short epoch, int firstSequence, int lastSequence, long baseOffset, long lastOffset, long timestamp)
    {
        if (!_producers.TryGetValue(producerId, out ProducerEntry? entry) || epoch > entry.Epoch)
            _producers[producerId] = entry = new ProducerEntry(epoch);
        if (entry.Batches.Count == BatchesKept)
            entry.Batches.RemoveAt(0);
        entry.Batches.Add(new BatchMetadata(firstSequence, lastSequence, baseOffset, lastOffset, timestamp));
    }

    /// <summary>The sequence of a batch's last record: sequences wrap from int.MaxValue to 0, as Kafka's do.</summary>
    public static int LastSequence(RecordBatch batch) => RecordBatch.IncrementSequence(batch.BaseSequence, batch.LastOffsetDelta);

    private static int SequenceBefore(int sequence, int delta)
    {
        long first = sequence - (long)delta;
        return (int)(first < 0 ? first + int.MaxValue + 1 : first);
    }

    private static int NextSequence(int sequence) => sequence == int.MaxValue ? 0 : sequence + 1;

    private sealed class ProducerEntry(short epoch)
    {
        public short Epoch { get; } = epoch;

        public List<BatchMetadata> Batches { get; } = new(BatchesKept);
    }

    private readonly record struct BatchMetadata(int FirstSequence, int LastSequence, long BaseOffset, long LastOffset, long Timestamp);
}
