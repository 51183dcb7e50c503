using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using LogStore.Diagnostics;

namespace LogStore.Storage;

internal sealed partial class PartitionLog
{
    /// <summary>The latest reading of the clock by <see cref="LogValidator"/>, under the write lock.</summary>
    private long _clockFloorMs = long.MinValue;

    /// <summary>
    /// Validates <paramref name="batch"/> (Kafka's LogValidator: size, magic, CRC, offsets, timestamps), assigns its offsets by
    /// rewriting baseOffset and partitionLeaderEpoch in the caller's buffer (both lie outside the CRC), rolls if due
    /// and appends it. Runs synchronously: the write lands in the page cache.
    /// </summary>
    public AppendResult Append(RecordBatch batch)
    {
        AppendResult result = default;
        Append(new ReadOnlySpan<RecordBatch>(in batch), builtMinTimestamps: default, new Span<AppendResult>(ref result), out LogStoreException? error);
        if (error is not null)
            ExceptionDispatchInfo.Throw(error);
        return result;
    }

    /// <summary>
    /// Appends <paramref name="batches"/> in order as <see cref="Append(RecordBatch)"/> does each, but writes the batches
    /// that go to the same segment with one gathered write (many small writes cost the kernel more per byte). Stops at
    /// the first batch that fails: returns how many were appended (their results are in <paramref name="results"/>) and
    /// sets <paramref name="error"/> to the failure of the next one; the rest are not attempted.
    /// A batch of an idempotent producer (one with a producer id) is checked against the producer's state first: a
    /// retry of a batch already appended counts as appended, with the first attempt's offsets, and writes nothing; a gap
    /// in its sequences (<see cref="OutOfOrderSequenceException"/>) or a fenced epoch
    /// (<see cref="InvalidProducerEpochException"/>) is its failure.
    /// </summary>
    /// <param name="batches">The batches, in order; their buffers get their offsets.</param>
    /// <param name="builtMinTimestamps">Empty for batches from elsewhere, whose CRC is verified and whose records are read
    /// for their timestamps. For batches this process has just built (the producer's), whose CRC was computed over the
    /// very bytes appended: each one's smallest record timestamp, which its builder tracked.</param>
    /// <param name="results">Receives one result per appended batch.</param>
    /// <param name="error">The failure of <c>batches[returned count]</c>, or null when all were appended.</param>
    public int Append(ReadOnlySpan<RecordBatch> batches, ReadOnlySpan<long> builtMinTimestamps, Span<AppendResult> results,
        out LogStoreException? error) =>
        Append(batches, builtMinTimestamps, results, validateAllFirst: false, out error);

    /// <summary>
    /// <see cref="Append(ReadOnlySpan{RecordBatch}, ReadOnlySpan{long}, Span{AppendResult}, out LogStoreException?)"/>
    /// that, with <paramref name="validateAllFirst"/>, validates every batch (size, magic, CRC, offsets, timestamps)
    /// before any is staged: one refused leaves the log as it was, returns 0 and sets <paramref name="error"/> to its
    /// failure, whichever batch it was (Kafka validates a produce request's records for a partition as a whole). The
    /// producer-state checks of idempotent batches and the writes still happen batch by batch.
    /// </summary>
    public int Append(ReadOnlySpan<RecordBatch> batches, ReadOnlySpan<long> builtMinTimestamps, Span<AppendResult> results,
        bool validateAllFirst, out LogStoreException? error) =>
        Append(batches, builtMinTimestamps, results, asFollower: false, validateAllFirst, out error);

    /// <summary>The append of a leader (offsets and epoch assigned here) or, with <paramref name="asFollower"/>, of a
    /// follower: each batch keeps the leader's offsets, epoch and timestamps and must start at the log end (see
    /// <see cref="AppendAsFollower(RecordBatch)"/>).</summary>
    private int Append(ReadOnlySpan<RecordBatch> batches, ReadOnlySpan<long> builtMinTimestamps, Span<AppendResult> results,
        bool asFollower, bool validateAllFirst, out LogStoreException? error)
    {
        error = null;
        int appended = 0;
        ThrowIfReadOnly();
        long started = LogStoreMetrics.AppendStarting(_time);
        lock (_writeLock)
        {
            ThrowIfClosed();
            ThrowIfTruncationUnfinished();
            LoadProducerStateFor(batches);
            var clock = new AppendClock(_time);
            if (validateAllFirst && FirstInvalid(batches, builtMinTimestamps, ref clock) is { } firstInvalid)
            {
                error = firstInvalid;
                LogStoreMetrics.RecordAppend(Id, [], _time, started);
                return 0;
            }
            LogSegment segment = _segments.Active!;
            long next = _logEndOffset;
            // Since the last write: the batches staged, and those accepted (staged, or retries answered from the state).
            int staged = 0;
            int accepted = 0;
            bool producerStaged = false;
            try
            {
                for (int i = 0; i < batches.Length; i++)
                {
                    RecordBatch batch = batches[i];
                    long? builtMin = builtMinTimestamps.IsEmpty ? null : builtMinTimestamps[i];
                    if (asFollower)
                    {
                        // The leader validated the batch; only its integrity and its place are checked here.
                        if (InvalidReplicated(batch, next) is { } refused)
                        {
                            error = refused;
                            break;
                        }
                    }
                    else if (!validateAllFirst && Invalid(batch, builtMin, ref clock) is { } invalid)
                    {
                        error = invalid;
                        break;
                    }
                    bool idempotent = batch.ProducerId >= 0;
                    if (idempotent && !asFollower)
                    {
                        if (_producerState.Check(Id, batch, out bool duplicate, out long firstBase, out long firstLast) is { } refused)
                        {
                            duplicate = refused is OutOfOrderSequenceException && _producerState.PrecedesKept(batch, out long kept, out int gap)
                                && FindAppendedBatch(batch, kept, gap, out firstBase, out firstLast);
                            if (!duplicate)
                            {
                                error = refused;
                                break;
                            }
                        }
                        if (duplicate)
                        {
                            results[i] = new AppendResult(firstBase, firstLast, null, _logStartOffset);
                            accepted++;
                            continue;
                        }
                    }
                    Span<byte> bytes = MemoryMarshal.AsMemory(batch.Memory).Span;
                    DateTimeOffset? logAppendTime = null;
                    if (asFollower)
                        FollowLeaderEpoch(batch.PartitionLeaderEpoch, next);
                    else
                    {
                        RecordBatch.SetBaseOffset(bytes, next);
                        StampLeaderEpoch(bytes, next);
                    }
                    if (batch.TimestampType == TimestampType.LogAppendTime && !asFollower)
                    {
                        RecordBatch.SetMaxTimestampAndTimestampType(bytes, clock.NowMs, TimestampType.LogAppendTime);
                        logAppendTime = DateTimeOffset.FromUnixTimeMilliseconds(clock.NowMs);
                    }
                    if (segment.ShouldRoll(batch, ref clock, Config))
                    {
                        WriteStaged(segment, staged, next);
                        appended += accepted;
                        (staged, accepted, producerStaged) = (0, 0, false);
                        segment = Roll(next);
                    }
                    try
                    {
                        segment.Stage(batch);
                    }
                    catch (StorageException e)
                    {
                        // No room for the batch's index entries (a full disk): the batches staged before it are written below.
                        error = e;
                        break;
                    }
                    staged++;
                    accepted++;
                    if (idempotent)
                    {
                        // Recorded now, so that the next batch of the same producer in this call is checked against it.
                        _producerState.OnAppended(batch, next);
                        producerStaged = true;
                    }
                    results[i] = new AppendResult(next, batch.LastOffset, logAppendTime, _logStartOffset);
                    next = batch.NextOffset;
                }
                WriteStaged(segment, staged, next);
                appended += accepted;
            }
            catch (LogStoreException e)
            {
                // A failed write or roll: what was written before stays appended; the failure is the next batch's.
                error = e;
                if (producerStaged)
                    DropProducerState();
            }
            LogStoreMetrics.RecordAppend(Id, batches[..appended], _time, started);
            if (appended > 0)
            {
                WakeReaders();
                // After the count is known: a failing fsync here throws, as for a single append.
                if (Config.FlushMessages is long flushMessages && _logEndOffset - _recoveryPoint >= flushMessages)
                    Flush(_logEndOffset);
            }
            return appended;
        }
    }

    /// <summary>Writes the <paramref name="count"/> staged batches and publishes them: the log end moves to <paramref name="end"/>.</summary>
    private void WriteStaged(LogSegment segment, int count, long end)
    {
        if (count == 0)
            return;
        segment.WriteStaged(_logEndOffset);
        Volatile.Write(ref _logEndOffset, end);
    }

    /// <summary>A leader's checks of one batch: its format (<see cref="Invalid(RecordBatch, bool)"/>, the CRC unless the
    /// batch was built here) and its timestamps.</summary>
    private LogStoreException? Invalid(RecordBatch batch, long? builtMin, ref AppendClock clock) =>
        Invalid(batch, verifyCrc: builtMin is null) ?? LogValidator.ValidateTimestamps(batch, builtMin, Id, Config, ref clock, ref _clockFloorMs);

    /// <summary>The failure of the first of <paramref name="batches"/> that a leader refuses, or null.</summary>
    private LogStoreException? FirstInvalid(ReadOnlySpan<RecordBatch> batches, ReadOnlySpan<long> builtMinTimestamps, ref AppendClock clock)
    {
        for (int i = 0; i < batches.Length; i++)
        {
            if (Invalid(batches[i], builtMinTimestamps.IsEmpty ? null : builtMinTimestamps[i], ref clock) is { } invalid)
                return invalid;
        }
        return null;
    }

    /// <summary>Why <paramref name="batch"/> cannot be appended (Kafka's LogValidator), or null.</summary>
    private LogStoreException? Invalid(RecordBatch batch, bool verifyCrc)
    {
        if (batch.Memory.Length < RecordBatch.HeaderSize)
            return new CorruptRecordException($"A batch of {batch.Memory.Length} bytes is shorter than the {RecordBatch.HeaderSize}-byte header.");
        if (batch.SizeInBytes > Config.MaxMessageBytes)
            return new RecordTooLargeException(Id, batch.SizeInBytes, Config.MaxMessageBytes);
        if (batch.Magic != RecordBatch.CurrentMagic)
            return new CorruptRecordException($"Batch magic is {batch.Magic}; only RecordBatch v2 (magic 2) is accepted.");
        if (RecordBatch.LogOverhead + batch.BatchLength != batch.SizeInBytes)
            return new CorruptRecordException($"Batch length field says {batch.BatchLength + RecordBatch.LogOverhead} bytes but the batch has {batch.SizeInBytes}.");
        if (batch.RecordCount <= 0 || batch.LastOffsetDelta < 0 || (batch.Compression == CompressionType.None && batch.LastOffsetDelta != batch.RecordCount - 1))
            return new CorruptRecordException($"Batch has {batch.RecordCount} records and lastOffsetDelta {batch.LastOffsetDelta}; a producer batch needs records at offset deltas 0..n-1.");
        if (batch.IsControlBatch)
            return new CorruptRecordException("Control batches are written by the log itself, not appended by clients.");
        if (verifyCrc && !batch.IsValid)
            return new CorruptRecordException("The batch's CRC does not match its bytes: it was damaged before the append.");
        return null;
    }

    /// <summary>Closes the active segment for appends (trimming its indexes) and opens a new one at <paramref name="baseOffset"/>.</summary>
    private LogSegment Roll(long baseOffset)
    {
        LogSegment previous = _segments.Active!;
        previous.OnBecomeInactive();
        string logFile = LogFileNames.LogFile(Directory, baseOffset);
        if (File.Exists(logFile) && new FileInfo(logFile).Length > 0)
            throw new StorageException($"Cannot roll {Id}: a non-empty segment already exists at offset {baseOffset}.", logFile);
        LogSegment segment = LogSegment.Open(Directory, baseOffset, Config, _fileCache, create: true, active: true);
        _segments.Add(segment);
        Volatile.Write(ref _directoryFsyncPending, 1);
        LogStoreLog.SegmentRolled(_logger, Id, baseOffset);
        // The producer state at the roll, as Kafka snapshots it: a restart replays only the batches after it.
        WriteRollSnapshot(baseOffset);
        // As Kafka does, the rolled segment is flushed in the background, so the recovery point keeps up with rolls
        // and a restart after a crash scans little more than the active segment.
        _ = Task.Run(() => BackgroundFlush(baseOffset));
        return segment;
    }

    private void BackgroundFlush(long upToOffset)
    {
        try
        {
            if (_closed)
                return;
            Flush(upToOffset);
            SyncRollSnapshot(upToOffset);
        }
        catch (ObjectDisposedException)
        {
            // Closed meanwhile: the close flushed everything itself.
        }
        catch (StorageException e)
        {
            LogStoreLog.BackgroundFlushFailed(_logger, Id, e);
        }
    }
}
