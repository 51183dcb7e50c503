using LogStore.Storage.Following;
using LogStore.Storage.Indexing;

namespace LogStore.Storage;

internal sealed partial class LogSegment
{
    private FollowedIndex? _followed;

    /// <summary>The in-memory index of a segment that another process writes (a read-only open), or null.</summary>
    public FollowedIndex? Followed => _followed;

    /// <summary>
    /// Opens a segment that another process writes, for reading only: no file is created, written or mapped; its size
    /// and index come from scanning its batch headers (<see cref="FollowedIndex"/>), lazily, at its first read.
    /// </summary>
    public static LogSegment OpenFollowed(string directory, long baseOffset, TopicConfig config, SegmentFileCache? cache)
    {
        FileRecords log = FileRecords.OpenFollowed(LogFileNames.LogFile(directory, baseOffset), cache);
        // Never opened: lookups go to the followed index. Kept so that paths and closing work as for any segment.
        var offsetIndex = new LazyOffsetIndex(LogFileNames.IndexFile(directory, baseOffset), baseOffset, config.SegmentIndexBytes, writable: false, cache);
        var timeIndex = new LazyTimeIndex(LogFileNames.TimeIndexFile(directory, baseOffset), baseOffset, config.SegmentIndexBytes, writable: false, cache);
        bool dense = (config.CleanupPolicy & CleanupPolicy.Compact) == 0;
        var segment = new LogSegment(directory, baseOffset, log, offsetIndex, timeIndex, config.IndexIntervalBytes, config.SegmentIndexBytes, dense)
        {
            _indexesValidated = true,
        };
        segment._followed = new FollowedIndex(log, baseOffset, dense, config.IndexIntervalBytes);
        return segment;
    }

    /// <summary>The writer deleted this followed segment: readers holding it finish, then its file is closed (never
    /// deleted: it is not ours).</summary>
    public void Forget()
    {
        if (!TryAcquire())
            return;
        Interlocked.Or(ref _references, DeletedFlag);
        Release();
    }
}
