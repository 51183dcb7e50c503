using System.Diagnostics;
using LogStore.Diagnostics;
using LogStore.Storage;
using Microsoft.Extensions.Logging;

namespace LogStore.Retention;

/// <summary>
/// The broker's log cleaner (Kafka's LogCleaner and LogCleanerManager): decides which compacted partitions to clean,
/// runs the <see cref="Cleaner"/> on them one at a time, and keeps each one's first dirty offset in the data directory's
/// <see cref="CleanerCheckpoint"/>.
/// </summary>
/// <remarks>
/// <para>A partition whose <see cref="TopicConfig.CleanupPolicy"/> includes <see cref="CleanupPolicy.Compact"/> is
/// cleaned when its dirty ratio — bytes of inactive segments from the first dirty offset on, over bytes of every
/// inactive segment — reaches <see cref="TopicConfig.MinCleanableDirtyRatio"/>, or when a tombstone it kept has reached
/// its delete horizon (Kafka's latestDeleteHorizon; kept in memory only, so after a restart such a partition waits for
/// its dirty ratio). The active segment never counts: it is never cleaned.</para>
/// <para>Thread-safety: thread-safe; cleanings are serialised (they share one <see cref="OffsetMap"/>).</para>
/// <para>After a crash: a swap in progress is finished or undone by the loader; a checkpoint not yet written only makes
/// the next cleaning redo work.</para>
/// </remarks>
internal sealed class LogCleaner
{
    /// <summary>Default memory for the offset map: about 1.4 million distinct keys per cleaning (Kafka's
    /// log.cleaner.dedupe.buffer.size is 128 MiB, shared by its cleaner threads).</summary>
    public const long DefaultDedupeBufferBytes = 32L << 20;

    private readonly Broker _broker;
    private readonly Lock _cleaning = new();
    private readonly Dictionary<TopicPartition, long> _firstDirty;
    private readonly Dictionary<TopicPartition, long> _deleteHorizons = [];
    private readonly long _dedupeBufferBytes;
    private Cleaner? _cleaner;

    public LogCleaner(Broker broker, long dedupeBufferBytes = DefaultDedupeBufferBytes)
    {
        _broker = broker;
        _dedupeBufferBytes = dedupeBufferBytes;
        _firstDirty = CleanerCheckpoint.Read(broker.Options.FileSystem, broker.DataDirectory, broker.Logger);
    }

    /// <summary>The first dirty offset recorded for <paramref name="tp"/> (0 when never cleaned).</summary>
    public long FirstDirtyOffset(TopicPartition tp)
    {
        lock (_cleaning)
            return _firstDirty.GetValueOrDefault(tp);
    }

    /// <summary>Kafka's cleanable ratio: dirty bytes over all bytes of the inactive segments (0 when there are none).</summary>
    public double DirtyRatio(PartitionLog log)
    {
        (long clean, long dirty) = MeasureDirty(log, FirstDirtyOffset(log));
        return clean + dirty == 0 ? 0 : (double)dirty / (clean + dirty);
    }

    /// <summary>Cleans every compacted partition that is due; returns how many were cleaned.</summary>
    public int CleanDirtyLogs(CancellationToken cancellationToken)
    {
        int cleaned = 0;
        foreach (Topic topic in _broker.Topics)
        {
            if ((topic.Config.CleanupPolicy & CleanupPolicy.Compact) == 0)
                continue;
            foreach (Partition partition in topic.Partitions)
            {
                cancellationToken.ThrowIfCancellationRequested();
                PartitionLog log = partition.Log;
                if (log.IsClosed || !IsDue(log))
                    continue;
                try
                {
                    if (Clean(log, cancellationToken).Outcome == SwapOutcome.Swapped)
                        cleaned++;
                }
                catch (Exception e) when (e is LogStoreException or ObjectDisposedException or IOException or InvalidOperationException)
                {
                    RetentionLog.RetentionFailed(_broker.Logger, log.Id, e);
                }
            }
        }
        return cleaned;
    }

    /// <summary>Cleans <paramref name="log"/> now, whatever its dirty ratio (tests, and the background loop once due).</summary>
    public CleanResult Clean(PartitionLog log, CancellationToken cancellationToken = default)
    {
        lock (_cleaning)
        {
            _cleaner ??= new Cleaner(new OffsetMap(_dedupeBufferBytes), _broker.Options.TimeProvider);
            long started = Stopwatch.GetTimestamp();
            CleanResult result = _cleaner.Clean(log, FirstDirtyOffset(log), cancellationToken);
            if (result.Outcome != SwapOutcome.Swapped)
                return result;

            _firstDirty[log.Id] = result.EndOffset;
            ForgetDeletedPartitions();
            CleanerCheckpoint.Write(_broker.Options.FileSystem, _broker.DataDirectory, _firstDirty);
            if (result.EarliestDeleteHorizon == long.MaxValue)
                _deleteHorizons.Remove(log.Id);
            else
                _deleteHorizons[log.Id] = result.EarliestDeleteHorizon;

            LogStoreMetrics.RecordCleanerRun(log.Id);
            LogStoreMetrics.RecordSegmentsDeleted(log.Id, "compaction", result.SegmentsBefore, result.BytesBefore - result.BytesAfter);
            RetentionLog.Cleaned(_broker.Logger, log.Id, result.SegmentsBefore, result.BytesBefore, result.SegmentsAfter,
                result.BytesAfter, result.EndOffset, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return result;
        }
    }

    /// <summary>The recorded first dirty offset, or the log start when none is recorded or it lies outside the log (a
    /// topic deleted and created again, records deleted below it), as Kafka's LogCleanerManager resets it.</summary>
    private long FirstDirtyOffset(PartitionLog log)
    {
        long logStart = log.LogStartOffset;
        long offset;
        lock (_cleaning)
        {
            if (!_firstDirty.TryGetValue(log.Id, out offset))
                return logStart;
        }
        return offset < logStart || offset > log.LogEndOffset ? logStart : offset;
    }

    private bool IsDue(PartitionLog log)
    {
        lock (_cleaning)
        {
            if (_deleteHorizons.TryGetValue(log.Id, out long horizon)
                && horizon <= _broker.Options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds())
            {
                return true;
            }
        }
        (long clean, long dirty) = MeasureDirty(log, FirstDirtyOffset(log));
        return dirty > 0 && (double)dirty / (clean + dirty) >= log.Config.MinCleanableDirtyRatio;
    }

    /// <summary>Bytes of the inactive segments below the first dirty offset, and from it on.</summary>
    private static (long Clean, long Dirty) MeasureDirty(PartitionLog log, long firstDirtyOffset)
    {
        LogSegment[] segments = log.Segments.Snapshot;
        long clean = 0, dirty = 0;
        int firstDirtySegment = Math.Max(0, LogSegments.FloorIndex(segments, firstDirtyOffset));
        for (int i = 0; i < segments.Length - 1; i++)
        {
            if (i < firstDirtySegment)
                clean += segments[i].SizeInBytes;
            else
                dirty += segments[i].SizeInBytes;
        }
        return (clean, dirty);
    }

    // The checkpoint keeps only partitions that exist: a deleted topic's entry would otherwise apply to a new topic of
    // the same name (its offset is clamped to the log anyway, but a stale entry has no reason to stay).
    private void ForgetDeletedPartitions()
    {
        List<TopicPartition>? gone = null;
        foreach (TopicPartition tp in _firstDirty.Keys)
        {
            if (!_broker.TryGetTopic(tp.Topic, out Topic? topic) || tp.Partition >= topic.Partitions.Count)
                (gone ??= []).Add(tp);
        }
        if (gone is null)
            return;
        foreach (TopicPartition tp in gone)
        {
            _firstDirty.Remove(tp);
            _deleteHorizons.Remove(tp);
        }
    }
}
