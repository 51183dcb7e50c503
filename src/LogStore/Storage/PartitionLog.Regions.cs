using LogStore.Protocol;

namespace LogStore.Storage;

internal sealed partial class PartitionLog
{
    /// <summary>
    /// The batches a <see cref="Read(long, int)"/> at <paramref name="offset"/> would return, as a range of a segment file to send
    /// as is (Kafka's FileRecords slice for a fetch): the region holds the segment and its file open until disposed.
    /// Null when the offset is the log end. Batches are located by their headers (<see cref="LogSegment.Locate"/>).
    /// </summary>
    /// <exception cref="OffsetOutOfRangeException">The offset is below the log start or above the log end.</exception>
    /// <exception cref="CorruptRecordException">The stored bytes are damaged where the wanted batch should be.</exception>
    public FileRegion? ReadRegion(long offset, int maxBytes) => ReadRegion(offset, maxBytes, long.MaxValue);

    /// <summary><see cref="ReadRegion(long, int)"/> without the batches at or past <paramref name="upTo"/> (a consumer's
    /// fetch stops at the high watermark): null from there to the log end.</summary>
    public FileRegion? ReadRegion(long offset, int maxBytes, long upTo)
    {
        ThrowIfClosed();
        Follow();
        while (true)
        {
            long truncations = TruncationsBeforeRead();
            (long logEnd, LogSegment[] segments, _) = SnapshotFor(offset);
            long limit = Math.Min(logEnd, upTo);
            if (offset >= limit)
                return null;
            try
            {
                if (!TryLocate(segments, offset, maxBytes, limit, logEnd, out FileRegion? region))
                    continue;
                if (!TruncatedSince(truncations))
                    return region;
                // Located before a follower's truncation cut the file: look again.
                region?.Lease?.Dispose();
            }
            catch (LogStoreException) when (TruncatedSince(truncations))
            {
            }
            catch (CorruptRecordException e)
            {
                throw ReportCorruptRead(e, offset);
            }
        }
    }

    // False: a segment was deleted since the snapshot (look again). A compacted segment may end below the offset: the
    // next one holds what follows.
    private bool TryLocate(LogSegment[] segments, long offset, int maxBytes, long limit, long logEnd, out FileRegion? region)
    {
        region = null;
        int floor = Math.Max(0, LogSegments.FloorIndex(segments, offset));
        for (int i = floor; i < segments.Length; i++)
        {
            LogSegment segment = segments[i];
            if (!segment.TryAcquire())
                return false;
            bool handedOver = false;
            try
            {
                if (segment.Locate(offset, maxBytes, limit) is not (int position, int length))
                {
                    ThrowIfRecordsMissing(segments, i, floor, offset, logEnd);
                    continue;
                }
                (Microsoft.Win32.SafeHandles.SafeFileHandle handle, IDisposable fileLease) = segment.Log.LeaseHandle();
                region = new FileRegion(handle, position, length, new SegmentLease(segment, fileLease));
                handedOver = true;
                return true;
            }
            finally
            {
                if (!handedOver)
                    segment.Release();
            }
        }
        return true;
    }

    /// <summary>Keeps a segment (not deleted) and its file (not closed) until the region is sent.</summary>
    private sealed class SegmentLease(LogSegment segment, IDisposable file) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
                return;
            file.Dispose();
            segment.Release();
        }
    }
}
