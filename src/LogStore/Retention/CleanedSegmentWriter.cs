using System.Buffers;
using LogStore.Storage;
using LogStore.Storage.Files;
using LogStore.Storage.Indexing;
using Microsoft.Win32.SafeHandles;

namespace LogStore.Retention;

/// <summary>
/// Writes one cleaned segment as <c>&lt;base&gt;.log.cleaned</c>, <c>.index.cleaned</c> and <c>.timeindex.cleaned</c>:
/// batches appended in offset order with their original offsets, index entries added by the same rule as
/// <see cref="LogSegment"/>'s appends (an offset entry, and a time entry for the largest timestamp so far, once more than
/// <c>index.interval.bytes</c> were written since the last), both indexes trimmed as a rolled segment's are.
/// </summary>
/// <remarks>
/// Thread-safety: none; one cleaner writes it. After a crash: <c>.cleaned</c> files are never part of the log; the
/// loader deletes them. <see cref="Complete"/> fsyncs all three files before the swap may rename them. Every write and
/// fsync goes through the broker's <see cref="FileSystem"/>, as the log's own do, so a full or failing disk meets the
/// cleaner the same way.
/// </remarks>
internal sealed class CleanedSegmentWriter : IDisposable
{
    // Batches are gathered into writes of this size: a cleaned batch can be as small as one record.
    private const int BufferSize = 1 << 20;

    private readonly FileSystem _files;
    private readonly string _logPath;
    private readonly FileStream _log;
    private readonly SafeFileHandle _logHandle;
    private readonly OffsetIndex _offsetIndex;
    private readonly TimeIndex _timeIndex;
    private readonly int _indexIntervalBytes;
    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    private int _buffered;
    private int _written;
    private int _bytesSinceLastIndexEntry;
    private long _maxTimestamp = -1;
    private long _offsetOfMaxTimestamp;
    private bool _done;

    public CleanedSegmentWriter(string directory, long baseOffset, TopicConfig config, FileSystem files)
    {
        BaseOffset = baseOffset;
        _files = files;
        _indexIntervalBytes = config.IndexIntervalBytes;
        _offsetOfMaxTimestamp = baseOffset;
        string suffix = LogFileNames.CleanedSuffix;
        _logPath = LogFileNames.LogFile(directory, baseOffset) + suffix;
        string indexPath = LogFileNames.IndexFile(directory, baseOffset) + suffix;
        string timeIndexPath = LogFileNames.TimeIndexFile(directory, baseOffset) + suffix;
        // Leftovers of an attempt that failed would otherwise be taken for entries.
        StoreFile.Delete(indexPath);
        StoreFile.Delete(timeIndexPath);
        _log = StoreFile.Open(_logPath, FileMode.Create, FileAccess.Write);
        _logHandle = _log.SafeFileHandle;
        try
        {
            _offsetIndex = new OffsetIndex(indexPath, baseOffset, config.SegmentIndexBytes, writable: true, files);
            _timeIndex = new TimeIndex(timeIndexPath, baseOffset, config.SegmentIndexBytes, writable: true, files);
        }
        catch
        {
            _offsetIndex?.DeleteIfExists();
            _log.Dispose();
            StoreFile.Delete(_logPath);
            ReturnBuffer();
            throw;
        }
    }

    public long BaseOffset { get; }

    /// <summary>Bytes appended to the log so far.</summary>
    public long SizeInBytes => (long)_written + _buffered;

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
                _offsetIndex.Append(lastOffset, _written + _buffered);
            if (!_timeIndex.IsFull)
                _timeIndex.MaybeAppend(_maxTimestamp, _offsetOfMaxTimestamp);
            _bytesSinceLastIndexEntry = 0;
        }
        if (batch.Length > int.MaxValue - SizeInBytes)
            throw new OverflowException($"A cleaned segment cannot pass {int.MaxValue} bytes.");
        if (batch.Length > BufferSize - _buffered)
            WriteBuffered();
        if (batch.Length >= BufferSize)
        {
            _files.Write(_logHandle, batch, _written, _logPath);
            _written += batch.Length;
        }
        else
        {
            batch.CopyTo(_buffer.AsSpan(_buffered));
            _buffered += batch.Length;
        }
        _bytesSinceLastIndexEntry += batch.Length;
    }

    private void WriteBuffered()
    {
        if (_buffered == 0)
            return;
        _files.Write(_logHandle, _buffer.AsSpan(0, _buffered), _written, _logPath);
        _written += _buffered;
        _buffered = 0;
    }

    private void ReturnBuffer()
    {
        if (_buffer is { } buffer)
            ArrayPool<byte>.Shared.Return(buffer);
        _buffer = null;
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
        WriteBuffered();
        _files.Flush(_log, _logPath);
        _log.Dispose();
        ReturnBuffer();
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
        _log.Dispose();
        StoreFile.Delete(_logPath);
        ReturnBuffer();
    }
}
