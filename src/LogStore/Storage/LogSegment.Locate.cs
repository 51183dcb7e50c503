namespace LogStore.Storage;

internal sealed partial class LogSegment
{
    /// <summary>
    /// Where in the log file the batches <see cref="Read"/> would return lie — from the one holding
    /// <paramref name="offset"/>, at least that one, then more while they fit in <paramref name="maxBytes"/>, none at or
    /// past <paramref name="highWatermark"/> — found from batch headers alone, so the bytes can leave by <c>sendfile</c>
    /// without passing through this process. The headers follow the chain of offsets and index entries
    /// (<see cref="BatchChain"/>), as a read's do; the CRCs are not read (the client checks them, as with Kafka).
    /// Returns null when no batch of this segment reaches the offset.
    /// </summary>
    /// <exception cref="CorruptRecordException">A header breaks the chain where the wanted batch should be.</exception>
    public (int Position, int Length)? Locate(long offset, int maxBytes, long highWatermark)
    {
        _followed?.EnsureScanned();
        int limit = Log.SizeInBytes;
        (Indexing.OffsetPosition start, Indexing.OffsetPosition next, _) = LookupIndexWithNext(offset);
        var chain = new BatchChain(BaseOffset, _denseOffsets, start, next);
        Span<byte> header = stackalloc byte[PeekSize];
        int position = start.Position;
        int size;
        while (true)
        {
            if (position >= limit)
                return null;
            if (Log.Read(position, header, limit) < PeekSize)
                throw Corrupt(position, "a batch header is cut short");
            size = PeekBatch(header, position, out long baseOffset, out long lastOffset);
            if (chain.Check(position, baseOffset, lastOffset) is { } broken)
                throw Corrupt(position, broken);
            if (lastOffset >= highWatermark)
                return null;
            if (position + (long)size > limit)
                throw Corrupt(position, "a batch length points past the end of the segment");
            if (lastOffset >= offset)
                break;
            position += size;
        }
        int end = position + size;
        while (limit - end >= PeekSize && Log.Read(end, header, limit) == PeekSize)
        {
            // Past the first batch, a header that breaks the chain ends the range; the next fetch, starting there, reports it.
            if (!TryPeekBatch(header, out size, out long baseOffset, out long lastOffset)
                || chain.Check(end, baseOffset, lastOffset) is not null
                || end + (long)size > limit || end + (long)size - position > maxBytes || lastOffset >= highWatermark)
            {
                break;
            }
            end += size;
        }
        return (position, end - position);
    }
}
