using System.Buffers.Binary;
using LogStore;
using LogStore.Records;

namespace LogStore.Tests.Records;

/// <summary>Hand-made batches and records, including malformed ones the builder would never write.</summary>
internal static class RawBatch
{
    /// <summary>
    /// A batch around <paramref name="recordsRegion"/> (raw or already compressed) with a correct length and CRC.
    /// </summary>
    public static byte[] Create(ReadOnlySpan<byte> recordsRegion, int recordCount, int lastOffsetDelta,
        CompressionType codec = CompressionType.None, long baseOffset = 0, long baseTimestamp = 1_700_000_000_000, short extraAttributes = 0)
    {
        byte[] batch = new byte[RecordBatch.HeaderSize + recordsRegion.Length];
        BinaryPrimitives.WriteInt64BigEndian(batch, baseOffset);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(8), batch.Length - RecordBatch.LogOverhead);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(12), -1);
        batch[16] = RecordBatch.CurrentMagic;
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(21), (short)((int)codec | (ushort)extraAttributes));
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(23), lastOffsetDelta);
        BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(27), baseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(35), baseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(43), -1);
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(51), -1);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(53), -1);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(57), recordCount);
        recordsRegion.CopyTo(batch.AsSpan(RecordBatch.HeaderSize));
        FixCrc(batch);
        return batch;
    }

    /// <summary>Rewrites batchLength to the array's length and recomputes the CRC.</summary>
    public static void FixLengthAndCrc(byte[] batch)
    {
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(8), batch.Length - RecordBatch.LogOverhead);
        FixCrc(batch);
    }

    /// <summary>Recomputes the CRC of <paramref name="batch"/>.</summary>
    public static void FixCrc(byte[] batch) =>
        BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(17), Crc32C.Compute(batch.AsSpan(21)));

    /// <summary>
    /// One record from raw field values: each int is written as a varint, so lengths may lie.
    /// <paramref name="bodyLength"/> null means the true length.
    /// </summary>
    public static byte[] Record(int offsetDelta, long timestampDelta = 0, int keyLength = -1, byte[]? key = null,
        int valueLength = -1, byte[]? value = null, int headerCount = 0, byte[]? headers = null, int? bodyLength = null)
    {
        byte[] body = new byte[64 + (key?.Length ?? 0) + (value?.Length ?? 0) + (headers?.Length ?? 0)];
        int p = 0;
        body[p++] = 0;
        VarInt.WriteVarLong(body, ref p, timestampDelta);
        VarInt.WriteVarInt(body, ref p, offsetDelta);
        VarInt.WriteVarInt(body, ref p, keyLength);
        key?.CopyTo(body, p);
        p += key?.Length ?? 0;
        VarInt.WriteVarInt(body, ref p, valueLength);
        value?.CopyTo(body, p);
        p += value?.Length ?? 0;
        VarInt.WriteVarInt(body, ref p, headerCount);
        headers?.CopyTo(body, p);
        p += headers?.Length ?? 0;

        byte[] record = new byte[p + VarInt.MaxVarIntLength];
        int r = 0;
        VarInt.WriteVarInt(record, ref r, bodyLength ?? p);
        body.AsSpan(0, p).CopyTo(record.AsSpan(r));
        return record[..(r + p)];
    }

    /// <summary>Raw header bytes: varint lengths (which may lie) and the given bytes.</summary>
    public static byte[] Header(int keyLength, byte[] key, int valueLength, byte[]? value)
    {
        byte[] header = new byte[2 * VarInt.MaxVarIntLength + key.Length + (value?.Length ?? 0)];
        int p = 0;
        VarInt.WriteVarInt(header, ref p, keyLength);
        key.CopyTo(header, p);
        p += key.Length;
        VarInt.WriteVarInt(header, ref p, valueLength);
        value?.CopyTo(header, p);
        p += value?.Length ?? 0;
        return header[..p];
    }
}
