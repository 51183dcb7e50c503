using System.Diagnostics;
using LogStore.Diagnostics;
using Microsoft.Extensions.Logging;

namespace LogStore.Storage;

/// <summary>
/// The recovery half of <see cref="LogLoader"/>: validating the segments past the recovery point after an unclean stop,
/// the damaged tail after a clean one, and what is done with invalid bytes — cut and kept beside the segment past the
/// recovery point, left in place and reported below it.
/// </summary>
internal static partial class LogLoader
{
    /// <summary>Recovers every segment from the one holding <paramref name="recoveryPoint"/> on; returns the damage
    /// below the recovery point of the last segment, which then must take no more appends, or null.</summary>
    private static SegmentDamage? Recover(List<LogSegment> segments, long recoveryPoint, TopicPartition tp, ILogger logger)
    {
        var watch = Stopwatch.StartNew();
        int first = Math.Max(0, LogSegments.FloorIndex([.. segments], recoveryPoint));
        int scanned = 0;
        long scannedBytes = 0;
        long nextOffset = first > 0 ? segments[first].BaseOffset : 0;
        SegmentDamage? lastDamage = null;
        for (int i = first; i < segments.Count; i++)
        {
            LogSegment segment = segments[i];
            bool last = i == segments.Count - 1;
            scanned++;
            scannedBytes += segment.SizeInBytes;
            SegmentDamage? damage = null;
            bool cut = false;
            // A rolled segment whose batches and indexes all check out keeps its index files untouched.
            if (last || !segment.TryValidateKeepingIndexes())
            {
                (damage, cut) = RecoverSegment(segment, recoveryPoint, tp, logger);
                if (!last)
                    segment.OnBecomeInactive();
            }
            if (last)
            {
                lastDamage = damage;
                break;
            }
            // Damage below the recovery point hides where the segment ends: the next segment is taken as it is.
            if (damage is { } known)
            {
                nextOffset = Math.Max(nextOffset, known.KnownEnd);
                continue;
            }
            long segmentEnd = segment.ReadNextOffset();
            nextOffset = Math.Max(nextOffset, segmentEnd);
            // Whatever follows cut bytes, or records that never reached the disk, was written after them, and a next
            // segment that starts below this one's end overlaps it: none of it can be trusted, unless the recovery point
            // vouches for it.
            LogSegment next = segments[i + 1];
            if (!cut && next.BaseOffset >= nextOffset && !LostItsTail(segment, segmentEnd, next))
                continue;
            if (next.BaseOffset < recoveryPoint)
            {
                StorageLog.DurableSegmentsDisagree(logger, tp, segment.BaseOffset, segmentEnd, next.BaseOffset, recoveryPoint);
                LogStoreMetrics.RecordCorruption(tp, "open");
                continue;
            }
            if (!cut)
                StorageLog.SegmentEndsBeforeNext(logger, tp, segment.BaseOffset, segmentEnd, next.BaseOffset);
            SetAsideFrom(segments, i + 1, tp, logger);
            segment.MakeActive();
            break;
        }
        // A new partition (or one whose unflushed part was empty) had nothing to recover: saying "Recovered" for each
        // partition of a new store would read like crash recovery.
        if (scannedBytes > 0)
            LogStoreLog.PartitionRecovered(logger, tp, scanned, watch.ElapsedMilliseconds);
        else
            LogStoreLog.NothingToRecover(logger, tp);
        return lastDamage;
    }

    /// <summary>After a clean shutdown: recovers the active segment when its tail is damaged, and returns the damage
    /// below the recovery point, or null.</summary>
    private static SegmentDamage? RecoverDamagedTail(LogSegment active, long recoveryPoint, TopicPartition tp, ILogger logger)
    {
        if (active.ValidateTail() is not { } reason)
            return null;
        StorageLog.DamagedTailAfterCleanShutdown(logger, active.Log.FilePath, reason);
        return RecoverSegment(active, recoveryPoint, tp, logger).Damage;
    }

    /// <summary>Validates one segment with writable indexes (<see cref="LogSegment.Recover"/>) and reports what it found.</summary>
    private static (SegmentDamage? Damage, bool Cut) RecoverSegment(LogSegment segment, long recoveryPoint, TopicPartition tp, ILogger logger)
    {
        segment.MakeActive();
        RecoveryResult result = segment.Recover(recoveryPoint);
        if (result.CutFile is { } cutFile)
            LogStoreLog.SegmentTruncated(logger, segment.Log.FilePath, result.ValidBytes, result.BytesCut, result.Reason ?? "invalid batch", cutFile);
        if (result.Damage is { } damage)
        {
            StorageLog.DurableDamageFound(logger, tp, segment.Log.FilePath, damage.Position, damage.Offset, damage.Reason, damage.KnownEnd);
            LogStoreMetrics.RecordCorruption(tp, "open");
        }
        return (result.Damage, result.CutFile is not null);
    }

    /// <summary>
    /// Whether a segment of dense offsets ends (at <paramref name="end"/>) before the next one begins. A power loss
    /// can drop a rolled segment's last records cleanly, leaving no invalid byte to find: the file is just shorter.
    /// Dense offsets have no room for a gap, and anything after lost records was never acknowledged as durable (a
    /// flush covers every segment below its offset), so the log ends there.
    /// </summary>
    private static bool LostItsTail(LogSegment segment, long end, LogSegment next) =>
        segment.HasDenseOffsets && end < next.BaseOffset;

    /// <summary>Takes the segments from <paramref name="index"/> on out of the log (all past the recovery point): an
    /// empty one is deleted, the others keep their <c>.log</c> beside the log as <c>.log.cut-0</c> (their indexes are
    /// derived, and deleted).</summary>
    private static void SetAsideFrom(List<LogSegment> segments, int index, TopicPartition tp, ILogger logger)
    {
        for (int j = segments.Count - 1; j >= index; j--)
        {
            LogSegment segment = segments[j];
            string file = segment.Log.FilePath;
            int size = segment.SizeInBytes;
            if (size == 0)
            {
                segment.DeleteFiles();
                LogStoreLog.SegmentDeletedAfterDamage(logger, file, size, tp, "it was empty and is deleted");
            }
            else
            {
                string cut = LogFileNames.CutFile(file, 0);
                segment.OffsetIndex.DeleteIfExists();
                segment.TimeIndex.DeleteIfExists();
                segment.Log.RenameTo(cut);
                segment.Log.Dispose();
                LogStoreLog.SegmentDeletedAfterDamage(logger, file, size, tp, $"its bytes are kept in {cut} until an operator removes it");
            }
            segments.RemoveAt(j);
        }
    }

    /// <summary>
    /// After a clean shutdown, an empty last segment that starts past the log's end (the checkpointed recovery point, or
    /// the previous segment's end without a checkpoint) holds nothing and would move the log end: it is removed, as the
    /// recovery after a crash removes it. Only the last segments are looked at, so this costs nothing per segment.
    /// </summary>
    private static void RemoveStrayEmptySegments(List<LogSegment> segments, long? checkpointedEnd, TopicPartition tp, ILogger logger)
    {
        while (segments.Count > 1 && segments[^1] is { SizeInBytes: 0 } stray)
        {
            long end = checkpointedEnd ?? segments[^2].ReadNextOffset();
            if (stray.BaseOffset <= end)
                return;
            StorageLog.StrayEmptySegmentRemoved(logger, stray.Log.FilePath, tp, stray.BaseOffset, end);
            stray.DeleteFiles();
            segments.RemoveAt(segments.Count - 1);
        }
    }
}
