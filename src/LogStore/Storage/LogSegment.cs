using LogStore.Storage.Indexing;

namespace LogStore.Storage;

/// <summary>
/// One segment: a <c>.log</c> of batches plus its sparse <c>.index</c> and <c>.timeindex</c>, all named by the
/// segment's 20-digit base offset (Kafka's LogSegment). The segment decides when an index entry is due: an offset
/// entry maps a batch's last offset to the position where the batch starts, once more than
/// <c>IndexIntervalBytes</c> were appended since the previous entry; the time entry beside it holds the largest
/// timestamp so far and the last offset of the batch that holds it.
/// Thread-safety: appends, roll and recovery come from the partition's single writer; lookups and reads may run
/// concurrently with them. Indexes of inactive segments open lazily and may be unmapped again by the broker's
/// <see cref="SegmentFileCache"/>.
/// After a crash: the log may end in a torn batch and the indexes may lag or be zero-filled; <see cref="Recover"/>
/// rebuilds both indexes from the log and cuts invalid bytes past the recovery point (keeping them beside the segment),
/// never below it (<see cref="LogLoader"/>).
/// </summary>
internal sealed partial class LogSegment : IDisposable
{
    private const long Unknown = long.MinValue;

    private readonly int _indexIntervalBytes;
    private readonly int _maxIndexSize;
    private readonly bool _denseOffsets;
    private readonly Lock _rebuildLock = new();
    private int _bytesSinceLastIndexEntry;
    private long _maxTimestampSoFar = Unknown;
    private long _offsetOfMaxTimestampSoFar;
    private long _rollingBasedTimestamp = Unknown;
    private long _createdMs = Unknown;

    private LogSegment(string directory, long baseOffset, FileRecords log, LazyOffsetIndex offsetIndex, LazyTimeIndex timeIndex,
        int indexIntervalBytes, int maxIndexSize, bool denseOffsets)
    {
        _denseOffsets = denseOffsets;
        Directory = directory;
        BaseOffset = baseOffset;
        Log = log;
        OffsetIndex = offsetIndex;
        TimeIndex = timeIndex;
        _indexIntervalBytes = indexIntervalBytes;
        _maxIndexSize = maxIndexSize;
    }

    public string Directory { get; }

    public long BaseOffset { get; }

    public FileRecords Log { get; }

    public LazyOffsetIndex OffsetIndex { get; }

    public LazyTimeIndex TimeIndex { get; }

    public int SizeInBytes
    {
        get
        {
            _followed?.EnsureScanned();
            return Log.SizeInBytes;
        }
    }

    /// <summary>True when the segment's offsets have no gaps: its topic is not compacted, so every batch starts right
    /// after the previous one and the segment starts at its base offset.</summary>
    public bool HasDenseOffsets => _denseOffsets;

    /// <summary>
    /// Opens (or with <paramref name="create"/>, creates) the segment's files; indexes stay unopened until used, except
    /// those of a new active segment (a roll), which are created here (empty: an index file grows with its entries, see
    /// <see cref="IndexFile"/>), so that a later read-only open finds them.
    /// </summary>
    /// <exception cref="StorageException">A file could not be opened or created (the disk is full, an I/O error).</exception>
    public static LogSegment Open(string directory, long baseOffset, TopicConfig config, SegmentFileCache? cache, bool create, bool active)
    {
        FileRecords log = FileRecords.Open(LogFileNames.LogFile(directory, baseOffset), create, active, cache);
        var offsetIndex = new LazyOffsetIndex(LogFileNames.IndexFile(directory, baseOffset), baseOffset, config.SegmentIndexBytes, active, cache);
        var timeIndex = new LazyTimeIndex(LogFileNames.TimeIndexFile(directory, baseOffset), baseOffset, config.SegmentIndexBytes, active, cache);
        if (create && active)
        {
            try
            {
                offsetIndex.Get();
                timeIndex.Get();
            }
            catch
            {
                offsetIndex.Close();
                timeIndex.Close();
                log.Dispose();
                throw;
            }
        }
        // Only the cleaner leaves gaps between batches: every other segment holds one dense run of offsets.
        bool dense = (config.CleanupPolicy & CleanupPolicy.Compact) == 0;
        return new LogSegment(directory, baseOffset, log, offsetIndex, timeIndex, config.IndexIntervalBytes, config.SegmentIndexBytes, dense);
    }

    /// <summary>The largest record timestamp in the segment, or -1 when it holds no batch.</summary>
    public long LargestTimestamp
    {
        get
        {
            if (_followed is not null)
            {
                _followed.EnsureScanned();
                return _followed.MaxTimestamp;
            }
            long known = Volatile.Read(ref _maxTimestampSoFar);
            return known != Unknown ? known : LoadLargestTimestamp();
        }
    }

    /// <summary>Appends one batch whose offsets the partition has already assigned.</summary>
    public void Append(RecordBatch batch)
    {
        // A roll that failed half-way (a full disk) leaves the previous segment last but inactive: refuse before writing,
        // or its bytes would land in a segment whose indexes can no longer follow them.
        if (!OffsetIndex.IsWritable)
            throw new InvalidOperationException($"Segment {Log.FilePath} is not active.");
        if (Volatile.Read(ref _maxTimestampSoFar) == Unknown)
            LoadLargestTimestamp();
        ReserveIndexRoomIfDue();
        Track(batch, Log.Append(batch.Span));
    }

    /// <summary>
    /// Before a batch is written: when it will get index entries (see <see cref="AddIndexEntryIfDue"/>), makes sure both
    /// index files have room for them, so that a full disk fails this append with nothing written rather than leave the
    /// batch unindexed. An index file grows only here and in recovery, never while a partition opens.
    /// </summary>
    /// <exception cref="StorageException">The disk is full: nothing changed.</exception>
    private void ReserveIndexRoomIfDue()
    {
        if (_bytesSinceLastIndexEntry <= _indexIntervalBytes)
            return;
        OffsetIndex.EnsureRoom(1);
        // Two: the entry, and the one a roll or close records in the slot TimeIndex.IsFull keeps for it.
        TimeIndex.EnsureRoom(2);
    }

    /// <summary>Records an appended (or staged) batch at <paramref name="position"/>: timestamps and index entries.</summary>
    private void Track(RecordBatch batch, int position)
    {
        if (_rollingBasedTimestamp == Unknown)
            _rollingBasedTimestamp = batch.MaxTimestamp;
        long maxTimestamp = batch.MaxTimestamp;
        if (maxTimestamp > _maxTimestampSoFar)
        {
            _offsetOfMaxTimestampSoFar = batch.LastOffset;
            Volatile.Write(ref _maxTimestampSoFar, maxTimestamp);
        }
        AddIndexEntryIfDue(batch.LastOffset, position, batch.SizeInBytes);
    }

    private void AddIndexEntryIfDue(long lastOffset, int position, int batchSize)
    {
        if (_bytesSinceLastIndexEntry > _indexIntervalBytes)
        {
            // Appends roll before an index fills, so only recovery into an index that a full disk kept short meets a
            // full one: an index is a hint, and a full one just stays sparser.
            if (!OffsetIndex.IsFull)
                OffsetIndex.Append(lastOffset, position);
            if (!TimeIndex.IsFull)
                TimeIndex.MaybeAppend(_maxTimestampSoFar, _offsetOfMaxTimestampSoFar);
            _bytesSinceLastIndexEntry = 0;
        }
        _bytesSinceLastIndexEntry += batchSize;
    }

    /// <summary>Kafka's roll rule: the batch would pass segment.bytes, segment.ms separates the new batch's timestamp
    /// from the first batch's (or, without timestamps, now from the segment's creation), an index is full, or the
    /// batch's offsets no longer fit relative to the base offset. Comparing record timestamps rather than the clock
    /// keeps a replay of old records from rolling at every batch. A last segment that is not active rolls too: the
    /// loader leaves one read-only when it is damaged below the recovery point or ends below it, and a roll that failed
    /// half-way (a full disk) leaves the previous one so; the roll is then retried.</summary>
    public bool ShouldRoll(RecordBatch batch, ref AppendClock clock, TopicConfig config)
    {
        if (!OffsetIndex.IsWritable)
            return true;
        if (_createdMs == Unknown)
            _createdMs = clock.NowMs;
        // The writer's view: staged batches count, so that one staged run never passes segment.bytes.
        int size = Log.AppendPosition;
        if (size == 0)
            return false;
        if (size > config.SegmentBytes - batch.SizeInBytes)
            return true;
        if (_rollingBasedTimestamp == Unknown)
            _rollingBasedTimestamp = FirstBatchMaxTimestamp();
        long waited = _rollingBasedTimestamp >= 0 ? batch.MaxTimestamp - _rollingBasedTimestamp : clock.NowMs - _createdMs;
        if (waited > (long)config.SegmentRollTime.TotalMilliseconds)
            return true;
        return OffsetIndex.IsFull || TimeIndex.IsFull || batch.LastOffset - BaseOffset > int.MaxValue;
    }

    /// <summary>Called on the segment that stops being active: records the final time-index entry (as Kafka does on
    /// roll and close), trims both indexes to their entries and lets them be unmapped when idle.</summary>
    public void OnBecomeInactive()
    {
        if (_maxTimestampSoFar != Unknown && _offsetOfMaxTimestampSoFar > BaseOffset && OffsetIndex.IsWritable && TimeIndex.IsWritable)
            TimeIndex.MaybeAppendFinal(_maxTimestampSoFar, _offsetOfMaxTimestampSoFar);
        OffsetIndex.MakeReadOnly();
        TimeIndex.MakeReadOnly();
        Log.MakeInactive();
    }

    /// <summary>Reopens both indexes read-write, for the segment that becomes (or stays) active.</summary>
    public void MakeActive()
    {
        Log.MakeActive();
        OffsetIndex.MakeWritable();
        TimeIndex.MakeWritable();
    }

    /// <summary>fsyncs the log. The indexes are not synced here: a rolled segment's were synced by the roll's trim,
    /// and the active segment's are rebuilt from its log by any recovery after an unclean stop (the last segment is
    /// always recovered from its start, <see cref="LogLoader"/>), so syncing them bought nothing — and cost two syncs
    /// per flush, which made a flush every 1 MiB 25 % slower (benchmarks/RESULTS.md, "Comparison").</summary>
    public void Flush() => Log.Flush();

    /// <summary>The offset after the last batch: found from the last index entry with a short scan.</summary>
    public long ReadNextOffset()
    {
        OffsetPosition start = LookupIndex(long.MaxValue);
        long next = BaseOffset;
        using var scanner = new BatchScanner(Log, start.Position, Log.SizeInBytes, verifyCrc: false);
        while (scanner.MoveNext())
            next = scanner.Current.NextOffset;
        return next;
    }

    /// <summary>Closes files and unmaps indexes; an active segment's indexes are trimmed and fsynced if they changed since
    /// they were opened. Unlike a roll (and Kafka's close), a close records no final time-index entry: the batches after the
    /// last entry, at most about <c>index.interval.bytes</c>, are scanned for the largest timestamp when it is next
    /// needed, while the entry would cost every partition that was appended to a growth, a trim and an fsync of its time
    /// index at every close. So an idle partition's close writes nothing and reopens none of the files the
    /// <see cref="SegmentFileCache"/> closed.</summary>
    public void Close()
    {
        if (OffsetIndex.IsWritable)
            Log.MakeInactive();
        OffsetIndex.Close();
        TimeIndex.Close();
        Log.Dispose();
    }

    public void Dispose() => Close();

    /// <summary>Closes the segment and deletes its three files.</summary>
    public void DeleteFiles()
    {
        OffsetIndex.DeleteIfExists();
        TimeIndex.DeleteIfExists();
        Log.Delete();
    }

    public override string ToString() => $"LogSegment(baseOffset={BaseOffset}, size={SizeInBytes}, file={Log.FilePath})";

    private long FirstBatchMaxTimestamp()
    {
        using var scanner = new BatchScanner(Log, 0, Log.SizeInBytes, verifyCrc: false);
        return scanner.MoveNext() ? scanner.Current.MaxTimestamp : Unknown;
    }

    private long LoadLargestTimestamp()
    {
        // The time index's last entry is the maximum up to its offset; batches after it may be later still.
        TimestampOffset last = LookupTimeIndexLast();
        long max = last.Timestamp;
        long offsetOfMax = last.Offset;
        OffsetPosition from = LookupIndex(last.Offset);
        using (var scanner = new BatchScanner(Log, from.Position, Log.SizeInBytes, verifyCrc: false))
        {
            while (scanner.MoveNext())
            {
                if (scanner.Current.MaxTimestamp > max)
                {
                    max = scanner.Current.MaxTimestamp;
                    offsetOfMax = scanner.Current.LastOffset;
                }
            }
        }
        _offsetOfMaxTimestampSoFar = offsetOfMax;
        Volatile.Write(ref _maxTimestampSoFar, max);
        return max;
    }
}
