using System.Runtime.InteropServices;
using LogStore.Diagnostics;

namespace LogStore.Storage;

internal sealed partial class PartitionLog
{
    /// <summary>The epoch stamped on appended batches; a single node is always the leader of epoch 0.</summary>
    private const int LeaderEpoch = 0;

    /// <summary>
    /// Validates <paramref name="batch"/> (Kafka's LogValidator: size, magic, CRC, offsets), assigns its offsets by
    /// rewriting baseOffset and partitionLeaderEpoch in the caller's buffer (both lie outside the CRC), rolls if due
    /// and appends it. Runs synchronously: the write lands in the page cache.
    /// </summary>
    public AppendResult Append(RecordBatch batch)
    {
        ValidateBatch(batch);
        Span<byte> bytes = MemoryMarshal.AsMemory(batch.Memory).Span;
        lock (_writeLock)
        {
            ThrowIfClosed();
            long baseOffset = _logEndOffset;
            RecordBatch.SetBaseOffset(bytes, baseOffset);
            RecordBatch.SetPartitionLeaderEpoch(bytes, LeaderEpoch);
            long nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
            DateTimeOffset? logAppendTime = null;
            if (batch.TimestampType == TimestampType.LogAppendTime)
            {
                RecordBatch.SetMaxTimestampAndTimestampType(bytes, nowMs, TimestampType.LogAppendTime);
                logAppendTime = DateTimeOffset.FromUnixTimeMilliseconds(nowMs);
            }

            LogSegment segment = _segments.Active!;
            if (segment.ShouldRoll(batch, nowMs, Config))
                segment = Roll(baseOffset);
            segment.Append(batch);
            Volatile.Write(ref _logEndOffset, batch.NextOffset);

            if (Config.FlushMessages is long flushMessages && _logEndOffset - _recoveryPoint >= flushMessages)
                Flush(_logEndOffset, forceCheckpoint: false);
            WakeReaders();
            return new AppendResult(baseOffset, batch.LastOffset, logAppendTime, _logStartOffset);
        }
    }

    private void ValidateBatch(RecordBatch batch)
    {
        if (batch.Memory.Length < RecordBatch.HeaderSize)
            throw new CorruptRecordException($"A batch of {batch.Memory.Length} bytes is shorter than the {RecordBatch.HeaderSize}-byte header.");
        if (batch.SizeInBytes > Config.MaxMessageBytes)
            throw new RecordTooLargeException(Id, batch.SizeInBytes, Config.MaxMessageBytes);
        if (batch.Magic != RecordBatch.CurrentMagic)
            throw new CorruptRecordException($"Batch magic is {batch.Magic}; only RecordBatch v2 (magic 2) is accepted.");
        if (RecordBatch.LogOverhead + batch.BatchLength != batch.SizeInBytes)
            throw new CorruptRecordException($"Batch length field says {batch.BatchLength + RecordBatch.LogOverhead} bytes but the batch has {batch.SizeInBytes}.");
        if (batch.RecordCount <= 0 || batch.LastOffsetDelta < 0 || (batch.Compression == CompressionType.None && batch.LastOffsetDelta != batch.RecordCount - 1))
            throw new CorruptRecordException($"Batch has {batch.RecordCount} records and lastOffsetDelta {batch.LastOffsetDelta}; a producer batch needs records at offset deltas 0..n-1.");
        if (batch.IsControlBatch)
            throw new CorruptRecordException("Control batches are written by the log itself, not appended by clients.");
        if (!batch.IsValid)
            throw new CorruptRecordException("The batch's CRC does not match its bytes: it was damaged before the append.");
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
        _newSegmentSinceFlush = true;
        LogStoreLog.SegmentRolled(_logger, Id, baseOffset);
        // As Kafka does, the rolled segment is flushed in the background, so the recovery point keeps up with rolls
        // and a restart after a crash scans little more than the active segment.
        _ = Task.Run(() => BackgroundFlush(baseOffset));
        return segment;
    }

    private void BackgroundFlush(long upToOffset)
    {
        try
        {
            if (!_closed)
                Flush(upToOffset, forceCheckpoint: false);
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
