using Microsoft.Extensions.Logging;

namespace LogStore.Storage;

/// <summary>
/// Completing a follower's truncation that a crash interrupted: its <see cref="TruncationMarker"/> is applied before
/// anything else is loaded, so that recovery sees the log the truncation was making.
/// </summary>
internal static partial class LogLoader
{
    /// <summary>
    /// Deletes the segments past the marker's offset (all of them for a full truncation) and cuts the one holding it at
    /// the same batch boundary as the truncation did (nothing more when it was already cut), fsynced, with its indexes
    /// rebuilt. Returns the checkpoint to load with: its recovery point no higher than the cut, and, for a full
    /// truncation, the log restarting at the offset. The partition log deletes the marker once that checkpoint is durable.
    /// </summary>
    /// <exception cref="StorageException">A file could not be deleted or cut: the partition does not open.</exception>
    private static (long RecoveryPoint, long LogStartOffset)? ApplyTruncation(TruncationMarker marker, List<LogSegment> segments,
        (long RecoveryPoint, long LogStartOffset)? checkpoint, TopicPartition tp, ILogger logger)
    {
        for (int i = segments.Count - 1; i >= 0 && (marker.Full || segments[i].BaseOffset > marker.Offset); i--)
        {
            segments[i].DeleteFiles();
            segments.RemoveAt(i);
        }
        StorageLog.TruncationCompletedAtOpen(logger, tp, marker.Full ? "full" : "to", marker.Offset);
        if (marker.Full)
            return (marker.Offset, marker.Offset);
        if (segments.Count > 0)
        {
            LogSegment holder = segments[^1];
            (int position, _) = holder.FindTruncationPoint(marker.Offset);
            if (position < holder.SizeInBytes)
                holder.Log.TruncateTo(position);
            holder.Log.Flush();
            holder.RebuildIndexes();
        }
        return checkpoint is { } known ? (Math.Min(known.RecoveryPoint, marker.Offset), known.LogStartOffset) : null;
    }
}
