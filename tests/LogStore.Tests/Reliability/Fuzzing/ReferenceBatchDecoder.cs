using System.Buffers.Binary;
using System.Text;
using LogStore.Records;
using LogStore.Records.Compression;

namespace LogStore.Tests.Reliability.Fuzzing;

/// <summary>
/// A second, deliberately plain decoder of RecordBatch v2, written from the format description
/// (tests/testdata/kafka-record-batches/README.md) and sharing no parsing code with src/LogStore/Records: bytes are
/// read one at a time with explicit bounds checks, varints as Kafka's <c>ByteUtils</c> reads them. The fuzzer compares
/// the library's decoder with it: both must accept the same bytes and read the same records. Only decompression is
/// shared (the codec libraries are the library's dependencies, not its parsing).
/// </summary>
/// <remarks>
/// The rules it applies are the library's documented contract: framing (length, magic, codec, recordCount ≥ 0), then
/// exactly recordCount records filling the region, each with a non-empty body whose fields take exactly its declared
/// length, lengths -1 (null) or within what remains, header keys never null, offset deltas strictly increasing from 0 up
/// to lastOffsetDelta. Like Kafka, varints need not be in their shortest form and a 5th (10th) byte's surplus bits
/// are ignored. Not thread-safe concerns: it is stateless.
/// </remarks>
internal static class ReferenceBatchDecoder
{
    /// <summary>Why the reference refused the bytes.</summary>
    public sealed class Rejected(string reason) : Exception(reason);

    /// <summary>Decodes <paramref name="bytes"/> or throws <see cref="Rejected"/> (or CorruptRecordException from a codec).</summary>
    public static DecodedBatch Decode(byte[] bytes, int maxDecompressedBytes)
    {
        Require(bytes.Length >= 61, "shorter than the 61-byte header");
        int batchLength = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(8));
        Require(batchLength >= 49, "batchLength below 49");
        Require(12L + batchLength == bytes.Length, "batchLength disagrees with the size");
        Require(bytes[16] == 2, "magic is not 2");
        short attributes = BinaryPrimitives.ReadInt16BigEndian(bytes.AsSpan(21));
        int codec = attributes & 7;
        Require(codec <= 4, "unknown codec");
        int recordCount = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(57));
        Require(recordCount >= 0, "negative recordCount");

        long baseOffset = BinaryPrimitives.ReadInt64BigEndian(bytes);
        int lastOffsetDelta = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(23));
        long baseTimestamp = BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(27));
        long maxTimestamp = BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(35));
        bool logAppendTime = (attributes & 8) != 0;

        byte[] region = bytes[61..];
        if (codec != 0)
        {
            using PooledBufferWriter inflated = CompressionCodecs.Decompress((CompressionType)codec, region, maxDecompressedBytes);
            region = inflated.WrittenSpan.ToArray();
        }

        var records = new List<DecodedRecord>();
        int p = 0, previousDelta = -1;
        for (int n = 0; n < recordCount; n++)
        {
            Require(p < region.Length, "fewer records than recordCount");
            int length = ReadVarInt(region, ref p, region.Length);
            Require(length >= 1 && length <= region.Length - p, "record length outside the region");
            int end = p + length;
            p++; // attributes
            long timestampDelta = ReadVarLong(region, ref p, end);
            int offsetDelta = ReadVarInt(region, ref p, end);
            byte[]? key = ReadBytes(region, ref p, end, "key");
            byte[]? value = ReadBytes(region, ref p, end, "value");
            int headerCount = ReadVarInt(region, ref p, end);
            Require(headerCount >= 0, "negative header count");
            var headers = new List<(string, byte[]?)>();
            for (int h = 0; h < headerCount; h++)
            {
                byte[]? headerKey = ReadBytes(region, ref p, end, "header key");
                Require(headerKey is not null, "null header key");
                headers.Add((Encoding.UTF8.GetString(headerKey!), ReadBytes(region, ref p, end, "header value")));
            }
            Require(p == end, "record fields do not fill its length");
            Require(offsetDelta > previousDelta && offsetDelta <= lastOffsetDelta, "offset deltas do not increase within lastOffsetDelta");
            previousDelta = offsetDelta;
            records.Add(new DecodedRecord(unchecked(baseOffset + offsetDelta), logAppendTime ? maxTimestamp : unchecked(baseTimestamp + timestampDelta),
                key, value, headers));
        }
        Require(p == region.Length, "bytes after the last record");
        return new DecodedBatch(records);
    }

    private static byte[]? ReadBytes(byte[] region, ref int p, int end, string what)
    {
        int length = ReadVarInt(region, ref p, end);
        if (length == -1)
            return null;
        Require(length >= 0 && length <= end - p, what + " length outside the record");
        byte[] bytes = region[p..(p + length)];
        p += length;
        return bytes;
    }

    /// <summary>Kafka's ByteUtils.readVarint: at most 5 bytes; the 5th byte's bits past 32 fall off.</summary>
    private static int ReadVarInt(byte[] data, ref int p, int end)
    {
        uint raw = 0;
        for (int i = 0; ; i++)
        {
            Require(p < end, "varint runs past its record");
            Require(i < 5, "varint longer than 5 bytes");
            byte b = data[p++];
            raw |= (uint)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
                return (int)(raw >> 1) ^ -(int)(raw & 1);
        }
    }

    /// <summary>Kafka's ByteUtils.readVarlong: at most 10 bytes.</summary>
    private static long ReadVarLong(byte[] data, ref int p, int end)
    {
        ulong raw = 0;
        for (int i = 0; ; i++)
        {
            Require(p < end, "varlong runs past its record");
            Require(i < 10, "varlong longer than 10 bytes");
            byte b = data[p++];
            raw |= (ulong)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
                return (long)(raw >> 1) ^ -(long)(raw & 1);
        }
    }

    private static void Require(bool condition, string reason)
    {
        if (!condition)
            throw new Rejected(reason);
    }
}

/// <summary>A decoded record as plain data, comparable between decoders.</summary>
internal sealed record DecodedRecord(long Offset, long Timestamp, byte[]? Key, byte[]? Value, List<(string Key, byte[]? Value)> Headers)
{
    public bool SameAs(DecodedRecord other)
    {
        if (Offset != other.Offset || Timestamp != other.Timestamp || !Same(Key, other.Key) || !Same(Value, other.Value)
            || Headers.Count != other.Headers.Count)
            return false;
        for (int i = 0; i < Headers.Count; i++)
        {
            if (Headers[i].Key != other.Headers[i].Key || !Same(Headers[i].Value, other.Headers[i].Value))
                return false;
        }
        return true;
    }

    private static bool Same(byte[]? a, byte[]? b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);

    public override string ToString() =>
        $"offset {Offset}, timestamp {Timestamp}, key {Key?.Length.ToString() ?? "null"} B, value {Value?.Length.ToString() ?? "null"} B, {Headers.Count} headers";
}

/// <summary>The records of one batch.</summary>
internal sealed record DecodedBatch(List<DecodedRecord> Records)
{
    /// <summary>The first difference from <paramref name="other"/>, or null when both hold the same records.</summary>
    public string? Difference(DecodedBatch other)
    {
        if (Records.Count != other.Records.Count)
            return $"{Records.Count} records against {other.Records.Count}";
        for (int i = 0; i < Records.Count; i++)
        {
            if (!Records[i].SameAs(other.Records[i]))
                return $"record {i}: {Records[i]} against {other.Records[i]}";
        }
        return null;
    }
}
