using System.Runtime.CompilerServices;

namespace LogStore.Records;

/// <summary>
/// Decodes records one at a time from a raw (uncompressed) records region: the bytes after a batch's
/// 61-byte header, or the decompressed block of a compressed batch. Every length is checked against
/// the record's own declared length, so a damaged record throws <see cref="CorruptRecordException"/>
/// and never reads outside its bytes. Stateless and thread-safe; usable across awaits because it
/// keeps its position in a plain <c>int</c>.
/// </summary>
/// <remarks>
/// Record format: length varint (bytes after it), attributes int8, timestampDelta varlong, offsetDelta
/// varint, key length varint (-1 = null) + key, value length varint (-1 = null) + value, header count
/// varint, then per header: key length varint (≥ 0) + UTF-8 key, value length varint (-1 = null) + value.
/// This reader checks one record's encoding; <see cref="RecordCursor"/> adds the checks across records
/// (count, increasing offset deltas).
/// </remarks>
internal static class RecordReader
{
    /// <summary>
    /// Reads the record at <paramref name="position"/> and moves past it. Returns false at the end of
    /// <paramref name="records"/>; throws <see cref="CorruptRecordException"/> when the record is malformed.
    /// </summary>
    /// <param name="records">The raw records region.</param>
    /// <param name="position">Where the record starts; on return, where the next one starts.</param>
    /// <param name="baseOffset">The batch's base offset.</param>
    /// <param name="baseTimestamp">The batch's base timestamp.</param>
    /// <param name="record">The record read.</param>
    public static bool TryReadNext(ReadOnlySpan<byte> records, scoped ref int position, long baseOffset, long baseTimestamp, out Record record) =>
        TryReadNext(records, ref position, baseOffset, baseTimestamp, logAppendTime: null, out record);

    /// <summary>
    /// Reads the record at <paramref name="position"/> as <see cref="TryReadNext(ReadOnlySpan{byte}, ref int, long, long, out Record)"/>,
    /// replacing its timestamp with <paramref name="logAppendTime"/> when one is given (a LogAppendTime batch).
    /// </summary>
    public static bool TryReadNext(ReadOnlySpan<byte> records, scoped ref int position, long baseOffset, long baseTimestamp, long? logAppendTime, out Record record)
    {
        int start = position;
        if (start == records.Length)
        {
            record = default;
            return false;
        }

        if ((uint)start > (uint)records.Length)
        {
            throw new CorruptRecordException($"A record position {start} is outside the {records.Length}-byte records region.");
        }

        int p = start;
        int bodyLength = VarInt.ReadVarInt(records, ref p);
        if (bodyLength < 0 || bodyLength > records.Length - p)
        {
            throw Corrupt(start, $"declares a length of {bodyLength} bytes but only {records.Length - p} remain");
        }

        ReadOnlySpan<byte> body = records.Slice(p, bodyLength);
        int sizeInBytes = p - start + bodyLength;
        if (body.IsEmpty)
        {
            throw Corrupt(start, "is empty");
        }

        // body[0] is the record attributes byte, unused by Kafka since magic 2.
        int b = 1;
        long timestampDelta = VarInt.ReadVarLong(body, ref b);
        int offsetDelta = VarInt.ReadVarInt(body, ref b);
        ReadOnlySpan<byte> key = ReadNullableBytes(body, ref b, start, "key", out bool isKeyNull);
        ReadOnlySpan<byte> value = ReadNullableBytes(body, ref b, start, "value", out bool isValueNull);
        int headerCount = VarInt.ReadVarInt(body, ref b);
        if (headerCount < 0)
        {
            throw Corrupt(start, $"has a negative header count ({headerCount})");
        }

        // Walk the headers once to check them, so that enumerating them later cannot fail.
        int headersStart = b;
        for (int i = 0; i < headerCount; i++)
        {
            int keyLength = VarInt.ReadVarInt(body, ref b);
            if (keyLength < 0 || keyLength > body.Length - b)
            {
                throw Corrupt(start, $"has header {i} with a key length of {keyLength} bytes, outside its remaining {body.Length - b} bytes");
            }

            b += keyLength;
            int valueLength = VarInt.ReadVarInt(body, ref b);
            if (valueLength < -1 || valueLength > body.Length - b)
            {
                throw Corrupt(start, $"has header {i} with a value length of {valueLength} bytes, outside -1 to its remaining {body.Length - b} bytes");
            }

            if (valueLength > 0)
            {
                b += valueLength;
            }
        }

        if (b != body.Length)
        {
            throw Corrupt(start, $"declares {bodyLength} bytes but its fields take {b}");
        }

        long timestamp = logAppendTime ?? unchecked(baseTimestamp + timestampDelta);
        record = new Record(
            unchecked(baseOffset + offsetDelta),
            offsetDelta,
            timestamp,
            timestampDelta,
            key,
            isKeyNull,
            value,
            isValueNull,
            body[headersStart..],
            headerCount,
            sizeInBytes);
        position = p + bodyLength;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ReadOnlySpan<byte> ReadNullableBytes(ReadOnlySpan<byte> body, scoped ref int position, int recordStart, string field, out bool isNull)
    {
        int length = VarInt.ReadVarInt(body, ref position);
        if (length == -1)
        {
            isNull = true;
            return default;
        }

        if (length < 0 || length > body.Length - position)
        {
            throw Corrupt(recordStart, $"has a {field} length of {length} bytes, outside -1 to its remaining {body.Length - position} bytes");
        }

        isNull = false;
        ReadOnlySpan<byte> bytes = body.Slice(position, length);
        position += length;
        return bytes;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static CorruptRecordException Corrupt(int recordStart, string what) =>
        new($"The record at byte {recordStart} of the records region {what}.");
}
