using System.Runtime.CompilerServices;
using LogStore.Clients.Groups;

namespace LogStore.Clients;

/// <summary>
/// The fetch side of one consumer (Kafka's Fetcher and FetchBuffer): for each assigned partition its position, the
/// fetch being decoded and at most one fetch read ahead; records are handed out round-robin across partitions, up to
/// <see cref="ConsumerOptions.MaxPollRecords"/> from one partition before moving to the next that has data.
/// </summary>
/// <remarks>
/// <para>Reads: when a partition's fetch runs out, the next one is the fetch already read ahead (if done), or a
/// synchronous read of up to <see cref="ConsumerOptions.MaxPartitionFetchBytes"/> from the page cache. When a new
/// fetch starts being decoded and its partition has more data, the following fetch is read ahead on the thread pool,
/// as long as the bytes held and reserved stay within <see cref="ConsumerOptions.FetchMaxBytes"/>. When no partition
/// has anything, <see cref="WaitForDataAsync"/> long-polls them all at once (and the group's signal).</para>
/// <para>Used by the consumer's thread only (the consumer is not thread-safe); a <see cref="ReadAhead"/> touches
/// nothing here, it only produces a <see cref="FetchResult"/>. Results no longer wanted (after a seek, revoke or
/// dispose) are disposed when their read completes.</para>
/// </remarks>
internal sealed partial class Fetcher : IDisposable
{
    /// <summary>A position not resolved yet: from the committed offset or the reset policy on the next poll.</summary>
    public const long UnknownPosition = long.MinValue;

    // A shared fetch buffer is never returned to the pool (records point into it), so each fetch allocates one. Below
    // 85,000 bytes it is a young-generation array that dies cheaply with its records; a 1 MiB one would be a
    // large-object allocation, and a gen-2 collection every few fetches made the zero-copy path slower than copying
    // (EndToEndBenchmarks, benchmarks/RESULTS.md). A first batch larger than this is still read whole.
    private const int SharedFetchBytes = 64 * 1024;

    // From this many bytes per record, "shared" keys and values are copies made on the consumer's thread, and fetches
    // are full-size pooled reads, as for byte[]: with large records the one thread reading fresh 64 KiB buffers was the
    // bottleneck, and the zero-copy consumer ran at 0.6x the copying one at 1 KiB. With small records the consumer's
    // own work per record dominates, and views stay faster (benchmarks/RESULTS.md, "Reads by offset and shared values").
    private const int ValueCopyMinRecordBytes = 512;

    private readonly int _maxPartitionFetchBytes;
    private readonly int _fetchMaxBytes;
    private readonly int _maxPollRecords;
    private readonly bool _shareBuffers;
    private readonly TimeProvider _time;
    // The consumer's: a lent batch stops early when group work is pending (Fetcher.Lend.cs).
    private readonly PollSignal _signal;
    private readonly Dictionary<TopicPartition, PartitionState> _byId = [];
    private readonly List<ReadAhead> _orphans = [];
    private PartitionState[] _partitions = [];
    private PartitionState? _current;
    private int _next;
    private int _quota;
    private long _bufferedBytes;

    public Fetcher(ConsumerOptions options, TimeProvider time, bool shareBuffers = false, PollSignal? signal = null)
    {
        _signal = signal ?? new PollSignal();
        _shareBuffers = shareBuffers;
        _maxPartitionFetchBytes = options.MaxPartitionFetchBytes;
        _fetchMaxBytes = options.FetchMaxBytes;
        _maxPollRecords = options.MaxPollRecords;
        _time = time;
    }

    /// <summary>The assigned partitions, in assignment order.</summary>
    public IReadOnlyList<PartitionState> Partitions => _partitions;

    /// <summary>Bytes held in fetches being decoded plus those reserved for reads ahead.</summary>
    public long BufferedBytes => _bufferedBytes;

    /// <summary>The state of an assigned partition.</summary>
    public bool TryGet(TopicPartition partition, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PartitionState? state) =>
        _byId.TryGetValue(partition, out state);

    /// <summary>Adds a partition at <paramref name="position"/> (or <see cref="UnknownPosition"/> with a reset rule).</summary>
    public PartitionState Add(Partition partition, long position, PositionRule rule)
    {
        if (_byId.TryGetValue(partition.Id, out PartitionState? existing))
        {
            Seek(existing, position, rule);
            return existing;
        }
        var state = new PartitionState(partition) { Position = position, FetchOffset = position, Rule = rule };
        _byId.Add(partition.Id, state);
        _partitions = [.. _partitions, state];
        return state;
    }

    /// <summary>Removes a partition, dropping what was fetched for it.</summary>
    public void Remove(TopicPartition partition)
    {
        if (!_byId.Remove(partition, out PartitionState? state))
            return;
        Drop(state);
        state.Removed = true;
        var remaining = new PartitionState[_partitions.Length - 1];
        int k = 0;
        foreach (PartitionState p in _partitions)
        {
            if (p != state)
                remaining[k++] = p;
        }
        _partitions = remaining;
        if (_current == state)
            _current = null;
        _next = remaining.Length == 0 ? 0 : _next % remaining.Length;
    }

    /// <summary>Removes every partition.</summary>
    public void Clear()
    {
        foreach (PartitionState state in _partitions)
        {
            Drop(state);
            state.Removed = true;
        }
        _byId.Clear();
        _partitions = [];
        _current = null;
        _next = 0;
    }

    /// <summary>Moves a partition's position, dropping what was fetched beyond the old one.</summary>
    public void Seek(PartitionState state, long position, PositionRule rule)
    {
        Drop(state);
        state.Position = position;
        state.FetchOffset = position;
        state.Rule = rule;
    }

    /// <summary>Pauses or resumes <paramref name="state"/>: a paused partition keeps its position and buffers, but
    /// <see cref="TryNextSlow"/> skips it and no long poll waits on it.</summary>
    public void SetPaused(PartitionState state, bool paused)
    {
        state.Paused = paused;
        if (paused && _current == state)
            _quota = 0;
    }

    /// <summary>
    /// The hot path: the next record of the partition being drained, when it has one buffered and its turn is not
    /// over. Advances that partition's position. Allocates nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryNext([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PartitionState? state, out Record record)
    {
        PartitionState? p = _current;
        if (p is not null && _quota > 0 && p.Fetch is { } fetch && fetch.TryNext(p.Position, out record))
        {
            _quota--;
            p.Position = record.Offset + 1;
            state = p;
            return true;
        }
        state = null;
        record = default;
        return false;
    }

    /// <summary>
    /// The next record of any partition, round-robin from the one after the last drained: from its buffered fetch, its
    /// finished read-ahead, or a synchronous read when the log has data past its fetch offset. False when no partition
    /// has a record now. Partitions whose position is unknown are skipped. Ends a lease (<see cref="EndLend"/>): the
    /// fetch it lends from may be finished here.
    /// </summary>
    /// <exception cref="OffsetOutOfRangeException">A partition's fetch offset left the log's range; the caller resets it.</exception>
    /// <exception cref="CorruptRecordException">Damaged data; the partition's buffers are dropped, so the next poll reads it again.</exception>
    public bool TryNextSlow([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PartitionState? state, out Record record) =>
        TrySelect(take: true, out state, out record);

    /// <summary>
    /// As <see cref="TryNextSlow"/>, but leaves the record where it is: true when a partition (now the current one, its
    /// turn begun) has a record at its position in its fetch, which <see cref="TryNext"/> returns next.
    /// </summary>
    /// <exception cref="OffsetOutOfRangeException">A partition's fetch offset left the log's range; the caller resets it.</exception>
    /// <exception cref="CorruptRecordException">Damaged data; the partition's buffers are dropped, so the next poll reads it again.</exception>
    public bool TrySelectSlow([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PartitionState? state) =>
        TrySelect(take: false, out state, out _);

    private bool TrySelect(bool take, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PartitionState? state, out Record record)
    {
        EndLend();
        SweepOrphans();
        PartitionState[] partitions = _partitions;
        int n = partitions.Length;
        // The current partition keeps its turn while its quota lasts; otherwise the rotation starts after it.
        int start = _current is not null && _quota > 0 ? Array.IndexOf(partitions, _current) : _next;
        for (int i = 0; i < n; i++)
        {
            int index = (start + i) % n;
            PartitionState p = partitions[index];
            if (p.Position == UnknownPosition || p.Paused)
                continue;
            if (p != _current || _quota <= 0)
                _quota = _maxPollRecords;
            _current = p;
            _next = (index + 1) % n;
            try
            {
                while (p.Fetch is not null || TryStartFetch(p))
                {
                    if (!take && p.Fetch!.HasNext(p.Position))
                    {
                        state = p;
                        record = default;
                        return true;
                    }
                    if (take && p.Fetch!.TryNext(p.Position, out record))
                    {
                        _quota--;
                        p.Position = record.Offset + 1;
                        state = p;
                        return true;
                    }
                    FinishFetch(p);
                }
            }
            catch
            {
                Drop(p);
                throw;
            }
            _quota = 0;
        }
        _current = null;
        state = null;
        record = default;
        return false;
    }

    /// <summary>How <paramref name="p"/>'s fetches hand out shared views, from what its last fetch held.</summary>
    private ShareMode ShareModeOf(PartitionState p) =>
        !_shareBuffers ? ShareMode.None : p.LargeRecords ? ShareMode.ValueCopies : ShareMode.FetchBuffer;

    /// <summary>The most bytes one fetch of <paramref name="p"/> asks for.</summary>
    private int FetchBytes(PartitionState p) =>
        ShareModeOf(p) == ShareMode.FetchBuffer ? Math.Min(_maxPartitionFetchBytes, SharedFetchBytes) : _maxPartitionFetchBytes;

    /// <summary>Makes the next fetch of <paramref name="p"/> current: its finished read-ahead, or a synchronous read.</summary>
    private bool TryStartFetch(PartitionState p)
    {
        FetchResult? result = null;
        if (p.Prefetch is { } prefetch)
        {
            // Taking a read ahead still in flight costs no more than reading now, and keeps "data at the fetch offset
            // is returned" true, which makes a poll's outcome deterministic.
            p.Prefetch = null;
            _bufferedBytes -= prefetch.ReservedBytes;
            result = prefetch.Take();
        }
        else if (p.FetchOffset != p.Partition.LogEndOffset || p.Partition.Log.IsClosed)
        {
            // Also past the log end or on a closed log: the read throws what the consumer must handle.
            result = p.Partition.Replica.ReadCommitted(p.FetchOffset, FetchBytes(p));
        }
        if (result is null || result.IsEmpty)
        {
            result?.Dispose();
            return false;
        }
        // Either mode works with a buffer of any size: the size only decides which is cheaper.
        var fetch = new CompletedFetch(result, ShareModeOf(p));
        if (_shareBuffers)
            p.LargeRecords = fetch.AverageRecordBytes >= ValueCopyMinRecordBytes;
        p.Fetch = fetch;
        p.FetchOffset = Math.Max(p.FetchOffset, fetch.NextFetchOffset);
        _bufferedBytes += fetch.SizeInBytes;
        StartReadAhead(p);
        return true;
    }

    /// <summary>A fetch ran out: every record of it at or after the position was returned, so the position moves
    /// past its last batch (over trailing control batches and compacted-away offsets).</summary>
    private void FinishFetch(PartitionState p)
    {
        CompletedFetch fetch = p.Fetch!;
        p.Fetch = null;
        _bufferedBytes -= fetch.SizeInBytes;
        p.Position = Math.Max(p.Position, fetch.NextFetchOffset);
        fetch.Dispose();
    }

    private void StartReadAhead(PartitionState p)
    {
        int bytes = FetchBytes(p);
        if (p.Prefetch is not null || p.FetchOffset >= p.Partition.LogEndOffset || _bufferedBytes + bytes > _fetchMaxBytes)
            return;
        _bufferedBytes += bytes;
        p.Prefetch = ReadAhead.Start(p.Partition, p.FetchOffset, bytes);
    }

    /// <summary>Drops what was fetched for <paramref name="p"/>; its read-ahead, if any, is disposed when it completes.</summary>
    private void Drop(PartitionState p)
    {
        if (p == _lent)
            EndLend();
        if (p.Fetch is { } fetch)
        {
            _bufferedBytes -= fetch.SizeInBytes;
            fetch.Dispose();
            p.Fetch = null;
        }
        if (p.Prefetch is { } prefetch)
        {
            _bufferedBytes -= prefetch.ReservedBytes;
            _orphans.Add(prefetch);
            p.Prefetch = null;
        }
        p.FetchOffset = p.Position;
        if (_current == p)
            _quota = 0;
    }

    private void SweepOrphans()
    {
        for (int i = _orphans.Count - 1; i >= 0; i--)
        {
            if (_orphans[i].TryDiscard())
                _orphans.RemoveAt(i);
        }
    }

    /// <summary>Drops everything; read-aheads still running are waited for (each is one bounded read) and their
    /// results disposed. A fetch lent to a batch is left to the garbage collector (see <see cref="CompletedFetch.Abandon"/>).</summary>
    public void Dispose()
    {
        _lentFetch?.Abandon();
        Clear();
        foreach (ReadAhead orphan in _orphans)
        {
            try
            {
                orphan.Take().Dispose();
            }
            catch (Exception e) when (e is LogStoreException or ObjectDisposedException or IOException)
            {
                // Not wanted any more.
            }
        }
        _orphans.Clear();
    }
}
