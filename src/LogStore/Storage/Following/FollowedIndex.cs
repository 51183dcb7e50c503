using System.Buffers.Binary;
using LogStore.Records;
using LogStore.Storage.Indexing;

namespace LogStore.Storage.Following;

/// <summary>
/// The in-memory offset index of a segment that another process writes, built by scanning its batch headers (a
/// read-only open never maps, validates or rebuilds the writer's index files, which may be half-written). Each scan
/// goes on from where the last stopped and ends at the last complete batch: a torn or in-progress tail is not an
/// error, only not visible yet. Entries are added every <c>index.interval.bytes</c>, as the writer's are.
/// </summary>
/// <remarks>Thread-safe: scans hold a lock; lookups read an immutable snapshot of the entries.</remarks>
internal sealed class FollowedIndex
{
    // Enough of a header for its length, magic, last offset and largest timestamp.
    private const int PeekSize = RecordBatch.MaxTimestampOffset + sizeof(long);

    private readonly FileRecords _log;
    private readonly long _baseOffset;
    private readonly bool _dense;
    private readonly int _interval;
    private readonly Lock _gate = new();
    private OffsetPosition[] _entries = [];
    private int _count;
    private int _scannedEnd;
    private int _bytesSinceEntry;
    private long _nextOffset;
    private long _maxTimestamp = -1;
    private bool _sealPending;
    private volatile bool _complete;

    public FollowedIndex(FileRecords log, long baseOffset, bool dense, int indexIntervalBytes)
    {
        _log = log;
        _baseOffset = baseOffset;
        _dense = dense;
        _interval = indexIntervalBytes;
        _nextOffset = baseOffset;
    }

    /// <summary>The offset after the last complete batch scanned (the base offset while none is).</summary>
    public long NextOffset => Volatile.Read(ref _nextOffset);

    /// <summary>The largest timestamp of the batches scanned, or -1.</summary>
    public long MaxTimestamp => Volatile.Read(ref _maxTimestamp);

    /// <summary>A later segment exists: the writer appends here no more, so one last scan finds the segment's end.</summary>
    public void Seal()
    {
        if (!_complete)
            _sealPending = true;
    }

    /// <summary>Scans what was appended since the last scan, unless the segment is known complete.</summary>
    public void EnsureScanned()
    {
        if (!_complete)
            CatchUp();
    }

    /// <summary>
    /// For a segment scanned to its end: when the file at the path is no longer as long as what was scanned, another
    /// file stands there (the writer's cleaner swapped a cleaned segment in under the same name), and it is scanned anew.
    /// </summary>
    public void CheckReplaced()
    {
        if (_complete && _log.CurrentFileLength() != Volatile.Read(ref _scannedEnd))
            Reset();
    }

    /// <summary>Forgets everything scanned (the file at the path was replaced, by the cleaner's swap) and scans again.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            ForgetScanned();
            _complete = false;
        }
        CatchUp();
    }

    /// <summary>The entry to scan from for <paramref name="offset"/> and the one after it, as
    /// <see cref="OffsetIndex.Lookup(long, out OffsetPosition, out OffsetPosition)"/> gives them (with the entry after those).</summary>
    public (OffsetPosition Start, OffsetPosition Next, OffsetPosition AfterNext) LookupWithNext(long offset)
    {
        OffsetPosition[] entries;
        int count;
        lock (_gate)
        {
            entries = _entries;
            count = _count;
        }
        int lo = 0, hi = count - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (entries[mid].Offset <= offset)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        OffsetPosition next = found + 1 < count ? entries[found + 1] : OffsetPosition.None;
        OffsetPosition afterNext = found + 2 < count ? entries[found + 2] : OffsetPosition.None;
        return (found < 0 ? new OffsetPosition(_baseOffset, 0) : entries[found], next, afterNext);
    }

    private void CatchUp()
    {
        lock (_gate)
        {
            bool sealing = _sealPending;
            long length = _log.CurrentFileLength();
            // Shorter than what was scanned: a different file now stands at the path (a swap, or retention and a new
            // segment at the same base offset). What was scanned describes the old one.
            if (length < _scannedEnd)
                ForgetScanned();
            if (length > _scannedEnd)
                Scan((int)Math.Min(length, int.MaxValue));
            _log.PublishFollowedSize(_scannedEnd);
            if (sealing)
                _complete = true;
        }
    }

    /// <summary>Back to nothing scanned, and the next read opens the path again. Under the lock.</summary>
    private void ForgetScanned()
    {
        _entries = [];
        _count = 0;
        _scannedEnd = _bytesSinceEntry = 0;
        _nextOffset = _baseOffset;
        _maxTimestamp = -1;
        _log.PublishFollowedSize(0);
        _log.ReopenOnNextUse();
    }

    private void Scan(int length)
    {
        Span<byte> header = stackalloc byte[PeekSize];
        int position = _scannedEnd;
        while (length - position >= PeekSize)
        {
            if (_log.Read(position, header, length) < PeekSize)
                break;
            if (!LogSegment.TryPeekBatch(header, out int size, out long baseOffset, out long lastOffset))
                break;
            // Not complete yet (the writer is mid-write, or the tail is torn), or not part of the chain: the visible log
            // ends here. A read that reaches it reports damage the writer's own reads would report.
            if ((long)position + size > length || lastOffset < baseOffset || (_dense ? baseOffset != _nextOffset : baseOffset < _nextOffset))
                break;
            if (_bytesSinceEntry > _interval)
            {
                Add(new OffsetPosition(lastOffset, position));
                _bytesSinceEntry = 0;
            }
            _bytesSinceEntry += size;
            long maxTimestamp = BinaryPrimitives.ReadInt64BigEndian(header[RecordBatch.MaxTimestampOffset..]);
            if (maxTimestamp > _maxTimestamp)
                Volatile.Write(ref _maxTimestamp, maxTimestamp);
            position += size;
            Volatile.Write(ref _nextOffset, lastOffset + 1);
        }
        _scannedEnd = position;
    }

    private void Add(OffsetPosition entry)
    {
        // Copy on growth: lookups hold the previous array, whose first _count entries never change.
        if (_count == _entries.Length)
            Array.Resize(ref _entries, Math.Max(16, _count * 2));
        _entries[_count++] = entry;
    }
}
