namespace LogStore;

/// <summary>A snapshot of one segment of a partition.</summary>
/// <param name="BaseOffset">The first offset the segment may hold (its file name).</param>
/// <param name="NextOffset">The offset after its last record.</param>
/// <param name="SizeInBytes">Size of its <c>.log</c> file.</param>
/// <param name="LargestTimestamp">The largest record timestamp in it, in Unix milliseconds, or -1 when empty.</param>
/// <param name="LogPath">Its <c>.log</c> file.</param>
/// <param name="IndexPath">Its <c>.index</c> file.</param>
/// <param name="TimeIndexPath">Its <c>.timeindex</c> file.</param>
public sealed record SegmentInfo(long BaseOffset, long NextOffset, long SizeInBytes, long LargestTimestamp,
    string LogPath, string IndexPath, string TimeIndexPath);
