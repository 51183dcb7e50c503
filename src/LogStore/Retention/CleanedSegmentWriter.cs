using LogStore.Storage;
using LogStore.Storage.Indexing;

namespace LogStore.Retention;

/// <summary>
/// Writes one cleaned segment as <c>&lt;base&gt;.log.cleaned</c>, <c>.index.cleaned</c> and <c>.timeindex.cleaned</c>:
/// batches appended in offset order with their original offsets, index entries added by the same rule as
/// <see cref="LogSegment"/>'s appends (an offset entry, and a time entry for the largest timestamp so far, once more than
/// <c>index.interval.bytes</c> were written since the last), both indexes trimmed as a rolled segment's are.
/// </summary>
/// <remarks>
/// Thread-safety: none; one cleaner writes it. After a crash: <c>.cleaned</c> files are never part of the log; the
/// loader deletes them. <see cref="Complete"/> fsyncs all three files before the swap may rename them.
/// </remarks>
internal sealed class CleanedSegmentWriter : IDisposable
{
    private const int BufferSize = 1 << 20;

    private readonly FileStream _log;
    private readonly OffsetIndex _offsetIndex;
    private readonly TimeIndex _timeIndex;
    private readonly int _indexIntervalBytes;
    private int _position;
    private int _bytesSinceLastIndexEntry;
    private long _maxTimestamp = -1;
    private long _offsetOfMaxTimestamp;
    private bool _done;

    public CleanedSegmentWriter(string directory, long baseOffset, TopicConfig config)
    {
        BaseOffset = baseOffset;
        _indexIntervalBytes = config.IndexIntervalBytes;
        _offsetOfMaxTimestamp = baseOffset;
        string suffix = LogFileNames.CleanedSuffix;
        string logPath = LogFileNames.LogFile(directory, baseOffset) + suffix;
        string indexPath = LogFileNames.IndexFile(directory, baseOffset) + suffix;
        string timeIndexPath = LogFileNames.TimeIndexFile(directory, baseOffset) + suffix;
        // Leftovers of an attempt that failed would otherwise be taken for entries.
        File.Delete(indexPath);
        File.Delete(timeIndexPath);
        _log = new FileStream(logPath, FileMode.Create, FileAccess.Write, FileShare.Read | FileShare.Delete, BufferSize);
        try
        {
            _offsetIndex = new OffsetIndex(indexPath, baseOffset, config.SegmentIndexBytes, writable: true);
            _timeIndex = new TimeIndex(timeIndexPath, baseOffset, config.SegmentIndexBytes, writable: true);
        }
        catch
        {
            _offsetIndex?.DeleteIfExists();
            _log.Dispose();
            File.Delete(logPath);
            throw;
        }
    }

    public long BaseOffset { get; }

    /// <summary>Bytes written to the log so far.</summary>
    public long SizeInBytes => _position;

    /// <summary>Appends one whole batch whose offsets lie in this segment.</summary>
    public void Append(ReadOnlySpan<byte> batch, long lastOffset, long maxTimestamp)
    {
        if (maxTimestamp > _maxTimestamp)
        {
            _maxTimestamp = maxTimestamp;
            _offsetOfMaxTimestamp = lastOffset;
        }
        if (_bytesSinceLastIndexEntry > _indexIntervalBytes)
        {
            // An index is only a hint: a full one just stays sparser.
            if (!_offsetIndex.IsFull)
                _offsetIndex.Append(lastOffset, _position);
            if (!_timeIndex.IsFull)
                _timeIndex.MaybeAppend(_maxTimestamp, _offsetOfMaxTimestamp);
            _bytesSinceLastIndexEntry = 0;
        }
        _log.Write(batch);
        _position = checked(_position + batch.Length);
        _bytesSinceLastIndexEntry += batch.Length;
    }

    /// <summary>Adds the final time-index entry (as a roll does), trims both indexes and fsyncs all three files.</summary>
    public void Complete()
    {
        if (_maxTimestamp >= 0 && _offsetOfMaxTimestamp > BaseOffset)
            _timeIndex.MaybeAppend(_maxTimestamp, _offsetOfMaxTimestamp, skipFullCheck: true);
        _offsetIndex.Flush();
        _timeIndex.Flush();
        _offsetIndex.TrimToValidSize();
        _timeIndex.TrimToValidSize();
        _offsetIndex.Close();
        _timeIndex.Close();
        _log.Flush(flushToDisk: true);
        _log.Dispose();
        _done = true;
    }

    /// <summary>Closes the files; when <see cref="Complete"/> did not run, deletes them.</summary>
    public void Dispose()
    {
        if (_done)
            return;
        _done = true;
        _offsetIndex.DeleteIfExists();
        _timeIndex.DeleteIfExists();
        string path = _log.Name;
        _log.Dispose();
        File.Delete(path);
    }
}
