using LogStore.Storage.Indexing;

namespace LogStore.Storage;

/// <summary>
/// Checks that the batch headers a read steps through form the chain the segment promises, so that damage outside the
/// CRC can never make a read skip records or mislabel them. A batch's length and base offset lie outside its CRC: a
/// flipped length sends the scan to a wrong position, a flipped base offset shifts every offset of the batch.
/// </summary>
/// <remarks>
/// <para>The rules: a scan starting at an index entry must first meet a batch ending exactly at that entry's offset (one
/// starting at position 0, a batch at or above the segment's base offset — exactly at it when offsets are dense); each
/// later batch starts above the previous one's last offset (right after it when dense: every segment of a topic that
/// is never compacted); offsets stay inside the segment's relative range; and the scan lands exactly on the next index
/// entry's position, with a batch ending at that entry's offset, never past it.</para>
/// <para>Stepped-over batches are not CRC-checked (a reader may seek past a damaged batch whose length is intact), so
/// these header rules are what guarantees that a scan never silently leaves the chain. A value type, one per read.</para>
/// </remarks>
internal struct BatchChain
{
    private readonly long _segmentBase;
    private readonly bool _dense;
    private readonly OffsetPosition _start;
    private OffsetPosition _next;
    private long _previousLast;
    private bool _started;

    /// <param name="segmentBase">The segment's base offset.</param>
    /// <param name="dense">Whether the segment's offsets have no gaps (its topic is not compacted).</param>
    /// <param name="start">The index entry the scan starts at, (base offset, 0) when none.</param>
    /// <param name="next">The index entry after it, <see cref="OffsetPosition.None"/> when none.</param>
    public BatchChain(long segmentBase, bool dense, OffsetPosition start, OffsetPosition next)
    {
        _segmentBase = segmentBase;
        _dense = dense;
        _start = start;
        _next = next;
    }

    /// <summary>Checks the next batch header of the scan; returns why it breaks the chain, or null.</summary>
    /// <param name="position">The batch's position in the log file.</param>
    /// <param name="baseOffset">Its base offset.</param>
    /// <param name="lastOffset">Its last offset (base offset plus lastOffsetDelta).</param>
    public string? Check(int position, long baseOffset, long lastOffset)
    {
        if (lastOffset < baseOffset || baseOffset < _segmentBase || lastOffset - _segmentBase > int.MaxValue)
            return $"the batch claims offsets {baseOffset}..{lastOffset}, outside the segment";
        if (!_started)
        {
            if (_start.Position > 0 && lastOffset != _start.Offset)
                return $"the batch at the index entry for offset {_start.Offset} ends at offset {lastOffset}";
            if (_start.Position == 0 && _dense && baseOffset != _segmentBase)
                return $"the segment's first batch starts at offset {baseOffset}, not at its base offset";
        }
        else if (_dense ? baseOffset != _previousLast + 1 : baseOffset <= _previousLast)
        {
            return $"the batch starts at offset {baseOffset}, which does not follow the previous batch's last offset {_previousLast}";
        }
        if (position > _next.Position)
            return $"the batches step over the index entry at position {_next.Position} (a batch length is wrong)";
        if (position == _next.Position)
        {
            if (lastOffset != _next.Offset)
                return $"the batch at the index entry for offset {_next.Offset} ends at offset {lastOffset}";
            _next = OffsetPosition.None;
        }
        _started = true;
        _previousLast = lastOffset;
        return null;
    }
}
