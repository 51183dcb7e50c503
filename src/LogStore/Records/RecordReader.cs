using System.Diagnostics.CodeAnalysis;
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
            ThrowPositionOutside(start, records.Length);
        }

        int p = start;
        int bodyLength = VarInt.ReadVarInt(records, ref p);
        if (bodyLength < 0 || bodyLength > records.Length - p)
        {
            ThrowCorrupt(start, Check.Length, bodyLength, records.Length - p);
        }

        ReadOnlySpan<byte> body = records.Slice(p, bodyLength);
        int sizeInBytes = p - start + bodyLength;
        if (body.IsEmpty)
        {
            ThrowCorrupt(start, Check.Empty, 0, 0);
        }

        // body[0] is the record attributes byte, unused by Kafka since magic 2.
        int b = 1;
        long timestampDelta = VarInt.ReadVarLong(body, ref b);
        int offsetDelta = VarInt.ReadVarInt(body, ref b);
        ReadOnlySpan<byte> key = ReadNullableBytes(body, ref b, start, Check.Key, out bool isKeyNull);
        ReadOnlySpan<byte> value = ReadNullableBytes(body, ref b, start, Check.Value, out bool isValueNull);
        int headerCount = VarInt.ReadVarInt(body, ref b);
        if (headerCount < 0)
        {
            ThrowCorrupt(start, Check.HeaderCount, headerCount, 0);
        }

        // Walk the headers once to check them, so that enumerating them later cannot fail.
        int headersStart = b;
        for (int i = 0; i < headerCount; i++)
        {
            int keyLength = VarInt.ReadVarInt(body, ref b);
            if (keyLength < 0 || keyLength > body.Length - b)
            {
                ThrowCorrupt(start, Check.HeaderKey, keyLength, body.Length - b);
            }

            b += keyLength;
            int valueLength = VarInt.ReadVarInt(body, ref b);
            if (valueLength < -1 || valueLength > body.Length - b)
            {
                ThrowCorrupt(start, Check.HeaderValue, valueLength, body.Length - b);
            }

            if (valueLength > 0)
            {
                b += valueLength;
            }
        }

        if (b != body.Length)
        {
            ThrowCorrupt(start, Check.Fields, bodyLength, b);
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
    private static ReadOnlySpan<byte> ReadNullableBytes(ReadOnlySpan<byte> body, scoped ref int position, int recordStart, Check field, out bool isNull)
    {
        int length = VarInt.ReadVarInt(body, ref position);
        if (length == -1)
        {
            isNull = true;
            return default;
        }

        if (length < 0 || length > body.Length - position)
        {
            ThrowCorrupt(recordStart, field, length, body.Length - position);
        }

        isNull = false;
        ReadOnlySpan<byte> bytes = body.Slice(position, length);
        position += length;
        return bytes;
    }

    private enum Check { Length, Empty, Key, Value, HeaderCount, HeaderKey, HeaderValue, Fields }

    // Messages are built here, out of line: interpolated strings in TryReadNext made the JIT reserve and zero a
    // 584-byte frame on every record, which cost more than the decoding itself.
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowCorrupt(int recordStart, Check check, long found, long limit)
    {
        string what = check switch
        {
            Check.Length => $"declares a length of {found} bytes but only {limit} remain",
            Check.Empty => "is empty",
            Check.Key => $"has a key length of {found} bytes, outside -1 to its remaining {limit} bytes",
            Check.Value => $"has a value length of {found} bytes, outside -1 to its remaining {limit} bytes",
            Check.HeaderCount => $"has a negative header count ({found})",
            Check.HeaderKey => $"has a header key length of {found} bytes, outside its remaining {limit} bytes",
            Check.HeaderValue => $"has a header value length of {found} bytes, outside -1 to its remaining {limit} bytes",
            _ => $"declares {found} bytes but its fields take {limit}",
        };
        throw new CorruptRecordException($"The record at byte {recordStart} of the records region {what}.");
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowPositionOutside(int position, int length) =>
        throw new CorruptRecordException($"A record position {position} is outside the {length}-byte records region.");
}
