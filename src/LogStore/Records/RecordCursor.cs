using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace LogStore.Records;

/// <summary>
/// The position of a reader in one batch's records region, with the checks that span records: exactly
/// recordCount records and no bytes after them, offset deltas strictly increasing from 0 and never past
/// the batch's lastOffsetDelta. A plain mutable struct so it can live in an async method or a class field
/// (unlike <see cref="RecordEnumerator"/>); not thread-safe, and copying it forks the position.
/// </summary>
internal struct RecordCursor
{
    private readonly long _baseOffset;
    private readonly long _baseTimestamp;
    private readonly long? _logAppendTime;
    private readonly int _lastOffsetDelta;
    private int _remaining;
    private int _previousOffsetDelta;

    /// <summary>Creates a cursor before the first record of a batch with these header fields.</summary>
    public RecordCursor(long baseOffset, long baseTimestamp, long? logAppendTime, int recordCount, int lastOffsetDelta)
    {
        _baseOffset = baseOffset;
        _baseTimestamp = baseTimestamp;
        _logAppendTime = logAppendTime;
        _lastOffsetDelta = lastOffsetDelta;
        _remaining = recordCount;
        _previousOffsetDelta = -1;
        Position = 0;
    }

    /// <summary>Byte position of the next record in the records region.</summary>
    public int Position { get; private set; }

    /// <summary>Records still to be read.</summary>
    public readonly int Remaining => _remaining;

    /// <summary>
    /// Reads the next record of <paramref name="records"/>; false after the last one. Throws
    /// <see cref="CorruptRecordException"/> when a record is malformed, when the region holds fewer or more
    /// records than the batch declares, or when offset deltas do not increase.
    /// </summary>
    public bool MoveNext(ReadOnlySpan<byte> records, out Record record)
    {
        int position = Position;
        if (_remaining <= 0)
        {
            if (position != records.Length)
                ThrowTrailingBytes(_baseOffset, records.Length - position);

            record = default;
            return false;
        }

        if (!RecordReader.TryReadNext(records, ref position, _baseOffset, _baseTimestamp, _logAppendTime, out record))
            ThrowTooFewRecords(_baseOffset, _remaining);

        int delta = record.OffsetDelta;
        if (delta <= _previousOffsetDelta || delta > _lastOffsetDelta)
            ThrowBadDelta(_baseOffset, delta, _previousOffsetDelta, _lastOffsetDelta);

        _previousOffsetDelta = delta;
        _remaining--;
        Position = position;
        return true;
    }

    /// <summary>
    /// Moves past the records below <paramref name="offset"/> reading only each one's length and offset delta, not
    /// its key, value and headers: a read by offset lands in the middle of a batch, and decoding every record before
    /// it cost more than the lookup. The record it stops at is left for <see cref="MoveNext"/>, which decodes and checks
    /// it in full; so is any record whose length or offset delta is wrong, which MoveNext then reports.
    /// </summary>
    public void SkipTo(ReadOnlySpan<byte> records, long offset)
    {
        int position = Position;
        while (_remaining > 0)
        {
            int p = position;
            int bodyLength = VarInt.ReadVarInt(records, ref p);
            if (bodyLength <= 0 || bodyLength > records.Length - p)
                break;
            // The body: attributes int8, timestampDelta varlong, offsetDelta varint, then what is skipped.
            ReadOnlySpan<byte> body = records.Slice(p, bodyLength);
            int b = 1;
            VarInt.ReadVarLong(body, ref b);
            int delta = VarInt.ReadVarInt(body, ref b);
            if (delta <= _previousOffsetDelta || delta > _lastOffsetDelta || _baseOffset + delta >= offset)
                break;
            _previousOffsetDelta = delta;
            _remaining--;
            position = p + bodyLength;
        }
        Position = position;
    }

    // Out of line, so that MoveNext carries no interpolated-string locals (see RecordReader).
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTrailingBytes(long baseOffset, int bytes) =>
        throw new CorruptRecordException($"The record batch at base offset {baseOffset} has {bytes} bytes after its declared records.");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTooFewRecords(long baseOffset, int remaining) =>
        throw new CorruptRecordException($"The record batch at base offset {baseOffset} ends {remaining} record(s) before its declared record count.");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadDelta(long baseOffset, int delta, int previous, int last) =>
        throw new CorruptRecordException(
            $"The record batch at base offset {baseOffset} has offset delta {delta} after {previous}; " +
            $"deltas must increase and stay within lastOffsetDelta {last}.");
}
