using System.Runtime.CompilerServices;

namespace LogStore.Benchmarks.Experiments;

/// <summary>
/// Experiment for <see cref="ReadBenchmarks.LogStoreReadVariantDecoder"/>: LogStore.Records.RecordReader.TryReadNext
/// and RecordCursor's checks, unchanged in what they accept and refuse, with two changes — every exception message
/// is built in a [NoInlining] throw helper (so the hot method no longer carries interpolated-string handlers, whose
/// locals made the JIT zero a 432-byte frame on every record), and varints of two bytes (lengths and offset deltas
/// from 64 to 8191, i.e. every 100-byte record) are decoded inline rather than in the slow path. Delete it once
/// src/LogStore/Records does the same.
/// </summary>
internal static class RecordReaderVariant
{
    /// <summary>Decodes every record of <paramref name="batch"/> (uncompressed only) and sums key and value lengths.</summary>
    public static long SumKeyAndValueLengths(RecordBatch batch)
    {
        ReadOnlySpan<byte> records = batch.Span[RecordBatch.HeaderSize..];
        long baseOffset = batch.BaseOffset;
        long baseTimestamp = batch.BaseTimestamp;
        int lastOffsetDelta = batch.LastOffsetDelta;
        int remaining = batch.RecordCount;
        int previousOffsetDelta = -1;
        int position = 0;
        long sum = 0;
        while (TryReadNext(records, ref position, baseOffset, baseTimestamp, out Record record))
        {
            if (--remaining < 0 || record.OffsetDelta <= previousOffsetDelta || record.OffsetDelta > lastOffsetDelta)
                ThrowCorrupt(position, 8, record.OffsetDelta, previousOffsetDelta);
            previousOffsetDelta = record.OffsetDelta;
            sum += record.Key.Length + record.Value.Length;
        }
        if (remaining != 0)
            ThrowCorrupt(position, 9, remaining, 0);
        return sum;
    }

    private static bool TryReadNext(ReadOnlySpan<byte> records, scoped ref int position, long baseOffset, long baseTimestamp, out Record record)
    {
        int start = position;
        if (start == records.Length)
        {
            record = default;
            return false;
        }
        if ((uint)start > (uint)records.Length)
            ThrowCorrupt(start, 0, start, records.Length);
        int p = start;
        int bodyLength = ReadVarInt(records, ref p);
        if (bodyLength <= 0 || bodyLength > records.Length - p)
            ThrowCorrupt(start, 1, bodyLength, records.Length - p);
        ReadOnlySpan<byte> body = records.Slice(p, bodyLength);
        int sizeInBytes = p - start + bodyLength;
        int b = 1;
        long timestampDelta = ReadVarLong(body, ref b);
        int offsetDelta = ReadVarInt(body, ref b);
        ReadOnlySpan<byte> key = ReadNullableBytes(body, ref b, start, out bool isKeyNull);
        ReadOnlySpan<byte> value = ReadNullableBytes(body, ref b, start, out bool isValueNull);
        int headerCount = ReadVarInt(body, ref b);
        if (headerCount < 0)
            ThrowCorrupt(start, 3, headerCount, 0);
        int headersStart = b;
        for (int i = 0; i < headerCount; i++)
        {
            int keyLength = ReadVarInt(body, ref b);
            if (keyLength < 0 || keyLength > body.Length - b)
                ThrowCorrupt(start, 4, keyLength, body.Length - b);
            b += keyLength;
            int valueLength = ReadVarInt(body, ref b);
            if (valueLength < -1 || valueLength > body.Length - b)
                ThrowCorrupt(start, 5, valueLength, body.Length - b);
            if (valueLength > 0)
                b += valueLength;
        }
        if (b != body.Length)
            ThrowCorrupt(start, 6, bodyLength, b);
        record = new Record(unchecked(baseOffset + offsetDelta), offsetDelta, unchecked(baseTimestamp + timestampDelta), timestampDelta,
            key, isKeyNull, value, isValueNull, body[headersStart..], headerCount, sizeInBytes);
        position = p + bodyLength;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ReadOnlySpan<byte> ReadNullableBytes(ReadOnlySpan<byte> body, scoped ref int position, int recordStart, out bool isNull)
    {
        int length = ReadVarInt(body, ref position);
        if (length == -1)
        {
            isNull = true;
            return default;
        }
        if (length < 0 || length > body.Length - position)
            ThrowCorrupt(recordStart, 7, length, body.Length - position);
        isNull = false;
        ReadOnlySpan<byte> bytes = body.Slice(position, length);
        position += length;
        return bytes;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ReadVarInt(ReadOnlySpan<byte> source, scoped ref int position)
    {
        int p = position;
        if ((uint)p < (uint)source.Length)
        {
            uint b0 = source[p];
            if (b0 < 0x80)
            {
                position = p + 1;
                return (int)(b0 >> 1) ^ -(int)(b0 & 1);
            }
            if ((uint)(p + 1) < (uint)source.Length && source[p + 1] < 0x80)
            {
                uint raw = (b0 & 0x7F) | ((uint)source[p + 1] << 7);
                position = p + 2;
                return (int)(raw >> 1) ^ -(int)(raw & 1);
            }
        }
        return ReadVarIntSlow(source, ref position);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long ReadVarLong(ReadOnlySpan<byte> source, scoped ref int position)
    {
        int p = position;
        if ((uint)p < (uint)source.Length && source[p] < 0x80)
        {
            uint b = source[p];
            position = p + 1;
            return (long)(b >> 1) ^ -(long)(b & 1);
        }
        return ReadVarLongSlow(source, ref position);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ReadVarIntSlow(ReadOnlySpan<byte> source, scoped ref int position)
    {
        uint raw = 0;
        int shift = 0;
        for (int i = position; i < source.Length; i++)
        {
            uint b = source[i];
            raw |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                position = i + 1;
                return (int)(raw >> 1) ^ -(int)(raw & 1);
            }
            shift += 7;
            if (shift > 28)
                break;
        }
        throw new CorruptRecordException($"A varint at byte {position} is truncated or longer than 5 bytes.");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long ReadVarLongSlow(ReadOnlySpan<byte> source, scoped ref int position)
    {
        ulong raw = 0;
        int shift = 0;
        for (int i = position; i < source.Length; i++)
        {
            ulong b = source[i];
            raw |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                position = i + 1;
                return (long)(raw >> 1) ^ -(long)(raw & 1);
            }
            shift += 7;
            if (shift > 63)
                break;
        }
        throw new CorruptRecordException($"A varlong at byte {position} is truncated or longer than 10 bytes.");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowCorrupt(int recordStart, int check, long a, long b) =>
        throw new CorruptRecordException($"The record at byte {recordStart} of the records region is corrupt (check {check}: {a}, {b}).");
}
