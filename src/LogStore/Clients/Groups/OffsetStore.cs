using System.Buffers;
using System.Diagnostics;
using LogStore.Storage;

namespace LogStore.Clients.Groups;

/// <summary>
/// The committed offsets of every consumer group of one broker, kept durable in the internal compacted topic
/// <c>__consumer_offsets</c> (Kafka's name and record format, see <see cref="OffsetCommitCodec"/>) and served from
/// memory. Thread-safe.
/// </summary>
/// <remarks>
/// <para>The topic is created on first use with <see cref="PartitionCount"/> partitions and cleanup.policy=compact;
/// a group's records all go to partition <see cref="OffsetCommitCodec.PartitionFor"/> (Java's String.hashCode of the
/// group id, as Kafka), so one commit is one batch appended to one partition.</para>
/// <para>On first use the whole topic is read once from its start and the last value of each key kept (a null value
/// deletes the key): O(records), which compaction keeps near O(groups × partitions). After that a commit appends
/// its batch, fsyncs that partition, then updates the map; each map entry remembers the log offset of its record, so
/// concurrent commits of one key leave the map agreeing with the log (the later record wins in both).</para>
/// <para>After a crash, a commit that returned is on disk; one that did not return may or may not be.</para>
/// <para>Only this store writes the topic (users' producers and appends are refused, see <see cref="InternalTopics"/>);
/// a malformed record found while loading (a file edited by hand, a store written by an older version) is skipped and
/// logged with its file and offset, never fatal for every group.</para>
/// <para>In a cluster (OffsetStore.Ownership.cs) the store holds only the groups of the partitions this node leads, each
/// loaded when it becomes leader and dropped when it stops, and a commit is answered once replicated.</para>
/// </remarks>
internal sealed partial class OffsetStore
{
    /// <summary>Kafka's name for the topic of committed offsets.</summary>
    public const string TopicName = "__consumer_offsets";

    /// <summary>Partitions of the topic when this store creates it (Kafka's offsets.topic.num.partitions is 50; one
    /// embedded broker needs few). An existing topic keeps its own count.</summary>
    public const int PartitionCount = 4;

    // One batch stays well inside the topic's max.message.bytes.
    private const int MaxBatchBytes = 256 * 1024;
    private const int ReadChunkBytes = 1 << 20;

    private readonly Broker _broker;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Dictionary<TopicPartition, Entry>> _groups = new(StringComparer.Ordinal);
    private Topic? _topic;
    // Per partition of the topic, the offset loading reached: a read-only broker catches up from there at each query,
    // since another process commits.
    private long[] _loadedTo = [];

    public OffsetStore(Broker broker)
    {
        _broker = broker;
        _clustered = broker.Options.Replication is not null;
    }

    /// <summary>How many records the initial load read (for tests and logs).</summary>
    public long RecordsLoaded { get; private set; }

    /// <summary>How many malformed records the initial load skipped (each logged with its file and offset).</summary>
    public long RecordsSkipped { get; private set; }

    /// <summary>The committed offset of <paramref name="partition"/> for <paramref name="group"/>, or null.</summary>
    /// <exception cref="NotCoordinatorException">In a cluster, this node does not coordinate <paramref name="group"/>.</exception>
    public long? Get(string group, TopicPartition partition)
    {
        EnsureLoaded(group);
        lock (_lock)
        {
            return _groups.TryGetValue(group, out var offsets) && offsets.TryGetValue(partition, out Entry entry)
                ? entry.Offset
                : null;
        }
    }

    /// <summary>Every committed offset of <paramref name="group"/> (a snapshot).</summary>
    /// <exception cref="NotCoordinatorException">In a cluster, this node does not coordinate <paramref name="group"/>.</exception>
    public Dictionary<TopicPartition, long> GetAll(string group)
    {
        EnsureLoaded(group);
        var all = new Dictionary<TopicPartition, long>();
        lock (_lock)
        {
            if (_groups.TryGetValue(group, out var offsets))
            {
                foreach ((TopicPartition tp, Entry entry) in offsets)
                {
                    if (entry.Offset is long offset)
                        all[tp] = offset;
                }
            }
        }
        return all;
    }

    /// <summary>The ids of the groups with at least one committed offset (in a cluster: of the groups this node
    /// coordinates).</summary>
    public List<string> GroupIds()
    {
        if (!_clustered)
            EnsureLoaded();
        var ids = new List<string>();
        lock (_lock)
        {
            foreach ((string group, Dictionary<TopicPartition, Entry> offsets) in _groups)
            {
                foreach (Entry entry in offsets.Values)
                {
                    if (entry.Offset is not null)
                    {
                        ids.Add(group);
                        break;
                    }
                }
            }
        }
        return ids;
    }

    /// <summary>Appends one record per offset (a tombstone for a null offset), fsyncs, waits until the records are
    /// replicated, then updates the map (<see cref="Append"/> and <see cref="CompleteAsync"/> in one call).</summary>
    /// <exception cref="StorageException">The disk failed; nothing that was not appended is visible.</exception>
    /// <exception cref="NotCoordinatorException">In a cluster, this node does not coordinate <paramref name="group"/>.</exception>
    public void Commit(string group, IReadOnlyList<(TopicPartition Partition, long? Offset)> offsets)
    {
        PendingCommit pending = Append(group, offsets);
        ValueTask completion = CompleteAsync(pending, CancellationToken.None);
        if (!completion.IsCompletedSuccessfully)
            completion.AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Appends one record per offset (a tombstone for a null offset) and fsyncs; the map changes only at
    /// <see cref="CompleteAsync"/>, so nothing is served before it is committed (Kafka's GroupMetadataManager updates
    /// its cache in the append's callback too).</summary>
    /// <exception cref="StorageException">The disk failed; nothing that was not appended is visible.</exception>
    /// <exception cref="NotCoordinatorException">In a cluster, this node does not coordinate <paramref name="group"/>.</exception>
    public PendingCommit Append(string group, IReadOnlyList<(TopicPartition Partition, long? Offset)> offsets)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (offsets.Count == 0)
            return new PendingCommit(group, [], null, 0, 0);
        Topic topic = EnsureLoaded(group);
        Partition partition = topic.Partitions[OffsetCommitCodec.PartitionFor(group, topic.Partitions.Count)];
        long nowMs = _broker.Options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        var appended = new (TopicPartition Partition, long? Offset, long LogOffset)[offsets.Count];
        using var builder = new RecordBatchBuilder(CompressionType.None, initialCapacity: 4096);
        byte[] scratch = ArrayPool<byte>.Shared.Rent(1024);
        try
        {
            int first = 0;
            for (int i = 0; i < offsets.Count; i++)
            {
                (TopicPartition tp, long? offset) = offsets[i];
                int keySize = OffsetCommitCodec.KeySize(group, tp);
                if (scratch.Length < keySize + OffsetCommitCodec.ValueSize)
                {
                    ArrayPool<byte>.Shared.Return(scratch);
                    scratch = ArrayPool<byte>.Shared.Rent(keySize + OffsetCommitCodec.ValueSize);
                }
                Span<byte> key = scratch.AsSpan(0, OffsetCommitCodec.WriteKey(scratch, group, tp));
                Span<byte> value = offset is long o
                    ? scratch.AsSpan(keySize, OffsetCommitCodec.WriteValue(scratch.AsSpan(keySize), o, nowMs))
                    : default;
                builder.Append(nowMs, key, value, headers: null, keyIsNull: false, valueIsNull: offset is null);
                if (builder.EstimatedSizeInBytes >= MaxBatchBytes || i == offsets.Count - 1)
                {
                    AppendResult result = AppendBatch(partition, builder, group, offsets, first, i);
                    for (int k = first; k <= i; k++)
                        appended[k] = (offsets[k].Partition, offsets[k].Offset, result.BaseOffset + (k - first));
                    builder.Reset();
                    first = i + 1;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
        partition.Log.Flush();
        return new PendingCommit(group, appended, partition.Replica, partition.Replica.LeaderEpoch, nowMs);
    }

    /// <summary>Waits until the high watermark passes the appended records (at once on a single node), then serves
    /// them: the map takes each record unless a later record of its key is there already.</summary>
    /// <exception cref="NotCoordinatorException">This node stopped leading the group's partition meanwhile: the records
    /// may be lost, the client retries at the new coordinator.</exception>
    public async ValueTask CompleteAsync(PendingCommit pending, CancellationToken cancellationToken)
    {
        if (pending.Replica is not { } replica)
            return;
        long required = pending.Appended[^1].LogOffset + 1;
        try
        {
            await WaitForReplicationAsync(replica, required, cancellationToken).ConfigureAwait(false);
        }
        catch (NotLeaderException)
        {
            throw new NotCoordinatorException(pending.Group, replica.LeaderId);
        }
        lock (_lock)
        {
            // Served only while this node still coordinates in the epoch it appended in: a load in a later epoch read
            // the log itself.
            if (_clustered && !IsLoadedIn(replica.Id.Partition, pending.LeaderEpoch))
                throw new NotCoordinatorException(pending.Group, replica.LeaderId);
            foreach ((TopicPartition tp, long? offset, long logOffset) in pending.Appended)
                Apply(pending.Group, tp, offset, pending.CommitTimestampMs, logOffset);
        }
    }

    private static AppendResult AppendBatch(Partition partition, RecordBatchBuilder builder, string group,
        IReadOnlyList<(TopicPartition Partition, long? Offset)> offsets, int first, int last)
    {
        try
        {
            return partition.Replica.AppendAsLeader(builder.Build());
        }
        catch (NotLeaderException e)
        {
            throw new NotCoordinatorException(group, e.LeaderId);
        }
        catch (IOException e)
        {
            throw new StorageException(
                $"Cannot commit {last - first + 1} offset(s) of group '{group}' starting with {offsets[first].Partition}: {e.Message}",
                partition.Log.Directory, e);
        }
    }

    /// <summary>The topic, with the offsets of <paramref name="group"/> loaded: on a single node the whole topic is read
    /// once (<see cref="EnsureLoaded()"/>); in a cluster this node must coordinate the group.</summary>
    /// <exception cref="NotCoordinatorException">In a cluster, this node does not coordinate <paramref name="group"/>.</exception>
    private Topic EnsureLoaded(string group) => _clustered ? RequireCoordinator(group) : EnsureLoaded();

    /// <summary>Reads the topic once from its start (creating it when missing) and returns it.</summary>
    private Topic EnsureLoaded()
    {
        Topic? topic = Volatile.Read(ref _topic);
        if (topic is not null && !_broker.IsReadOnly)
            return topic;
        lock (_lock)
        {
            if (_topic is not null)
            {
                if (_broker.IsReadOnly)
                {
                    for (int p = 0; p < _loadedTo.Length; p++)
                        RecordsLoaded += Load(_topic.Partitions[p], ref _loadedTo[p]);
                }
                return _topic;
            }
            _broker.ThrowIfDisposed();
            // Topic creation is synchronous unless another creation holds the broker's gate for a moment.
            topic = _broker.GetOrCreateInternalTopicAsync(TopicName).AsTask().GetAwaiter().GetResult();
            long started = Stopwatch.GetTimestamp();
            long records = 0;
            _loadedTo = new long[topic.Partitions.Count];
            for (int p = 0; p < _loadedTo.Length; p++)
            {
                _loadedTo[p] = topic.Partitions[p].LogStartOffset;
                records += Load(topic.Partitions[p], ref _loadedTo[p]);
            }
            RecordsLoaded = records;
            GroupLog.OffsetsLoaded(_broker.Logger, records, CountKeys(), (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            Volatile.Write(ref _topic, topic);
            return topic;
        }
    }

    /// <summary>Applies the records of <paramref name="partition"/> from <paramref name="next"/> to its log end, and moves
    /// <paramref name="next"/> there; returns how many were read.</summary>
    /// <remarks>With <paramref name="load"/> (a cluster's leader loading its partition) it reads to the log end, as
    /// Kafka's loader does (the leader's log is the truth; its tail above the high watermark commits as followers fetch
    /// it), and stops as soon as the load is no longer current (the node resigned meanwhile).</remarks>
    private long Load(Partition partition, ref long next, PartitionLoad? load = null)
    {
        long records = 0;
        next = Math.Max(next, partition.LogStartOffset);
        long end = partition.LogEndOffset;
        while (next < end)
        {
            FetchResult fetch;
            try
            {
                fetch = load is null ? partition.Replica.ReadCommitted(next, ReadChunkBytes) : partition.Replica.ReadForFollower(next, ReadChunkBytes);
            }
            catch (CorruptRecordException e)
            {
                // Damage stays on disk (recovery never cuts durable bytes): one damaged commit must not lock every group
                // out, so loading goes on at the next segment.
                long resume = NextSegmentAfter(partition, next, end);
                GroupLog.DamagedOffsetsSkipped(_broker.Logger, partition.Id, next, resume, e);
                next = resume;
                continue;
            }
            using FetchResult read = fetch;
            if (fetch.IsEmpty)
                break;
            // Reentrant on a single node, whose load already holds it; in a cluster commits of other partitions go on.
            using Lock.Scope scope = _lock.EnterScope();
            if (load is not null && !IsCurrent(load))
                break;
            foreach (RecordBatch batch in fetch)
            {
                if (!batch.IsControlBatch)
                {
                    foreach (Record record in batch)
                    {
                        records++;
                        string group;
                        TopicPartition tp;
                        long? offset;
                        try
                        {
                            if (record.IsKeyNull || !OffsetCommitCodec.TryReadKey(record.Key, out group, out tp))
                                continue;
                            offset = record.IsValueNull ? null : OffsetCommitCodec.ReadValue(record.Value).Offset;
                        }
                        catch (CorruptRecordException e)
                        {
                            // One bad record (written by hand, or by a version that let producers in) must not lock
                            // every group out: it is skipped, and named for the operator.
                            RecordsSkipped++;
                            GroupLog.OffsetRecordSkipped(_broker.Logger, partition.Id, record.Offset, SegmentFileOf(partition, record.Offset), e);
                            continue;
                        }
                        Apply(group, tp, offset, record.Timestamp, record.Offset, loading: true);
                    }
                }
                next = batch.NextOffset;
            }
        }
        return records;
    }

    private static long NextSegmentAfter(Partition partition, long offset, long end)
    {
        foreach (SegmentInfo segment in partition.Segments)
        {
            if (segment.BaseOffset > offset)
                return Math.Min(segment.BaseOffset, end);
        }
        return end;
    }

    /// <summary>The segment file that holds <paramref name="offset"/>, for the log; found only when a record is bad.</summary>
    private static string SegmentFileOf(Partition partition, long offset)
    {
        string file = partition.Log.Directory;
        foreach (SegmentInfo segment in partition.Segments)
        {
            if (segment.BaseOffset <= offset)
                file = segment.LogPath;
        }
        return file;
    }

    /// <summary>Records a value unless the map holds a later record of the key. A tombstone stays as a null entry
    /// while running (so an earlier concurrent commit cannot resurrect the key) and is dropped while loading.</summary>
    private void Apply(string group, TopicPartition partition, long? offset, long commitTimestampMs, long logOffset, bool loading = false)
    {
        if (!_groups.TryGetValue(group, out var offsets))
        {
            if (offset is null)
                return;
            _groups[group] = offsets = [];
        }
        if (offsets.TryGetValue(partition, out Entry existing) && existing.LogOffset > logOffset)
            return;
        if (offset is null && loading)
            offsets.Remove(partition);
        else
            offsets[partition] = new Entry(offset, commitTimestampMs, logOffset);
    }

    private int CountKeys()
    {
        int keys = 0;
        foreach (var offsets in _groups.Values)
            keys += offsets.Count;
        return keys;
    }

    /// <summary>A committed offset, with the log offset of the record that holds it.</summary>
    private readonly record struct Entry(long? Offset, long CommitTimestampMs, long LogOffset);

    /// <summary>Records appended by <see cref="Append"/>, served once <see cref="CompleteAsync"/> saw them replicated.</summary>
    internal sealed record PendingCommit(string Group, (TopicPartition Partition, long? Offset, long LogOffset)[] Appended,
        Storage.Replication.PartitionReplica? Replica, int LeaderEpoch, long CommitTimestampMs);
}
