using System.Buffers.Binary;
using LogStore.Records;
using LogStore.Records.Compression;

namespace LogStore.Tests.Reliability.Fuzzing;

/// <summary>
/// The damage the fuzzer does to a batch, each step driven by a seeded <see cref="Random"/> so a case is reproducible
/// from the generator's seed: bit flips, bytes set to edge values, truncation, garbage appended or inserted (runs of
/// continuation bytes make overlong varints), ranges deleted or duplicated (a duplicated record is a lying count and a
/// repeated offset delta), and header fields set to extremes. Compressed batches are also damaged inside their
/// compression: the records block is inflated, damaged and compressed again, so the codec is happy and only the record
/// checks stand between the garbage and the reader. Most cases then get a recomputed CRC and batchLength, because
/// CRC-protected garbage is the hard case.
/// </summary>
internal static class BatchMutations
{
    private static readonly byte[] s_edgeBytes = [0x00, 0x01, 0x7F, 0x80, 0x81, 0xFE, 0xFF];
    private static readonly int[] s_edgeInts = [int.MinValue, int.MinValue + 1, -2, -1, 0, 1, 2, 48, 49, 60, 61, 127, 128, 0xFFFF, 1 << 20, 64 << 20, int.MaxValue - 12, int.MaxValue - 11, int.MaxValue];
    private static readonly long[] s_edgeLongs = [long.MinValue, -1, 0, 1, int.MaxValue, long.MaxValue - 1, long.MaxValue];

    /// <summary>Applies 1 to <paramref name="maxSteps"/> random damages to <paramref name="batch"/> (at least 61 bytes
    /// are not needed: any array works) and returns the result with a description of what was done.</summary>
    public static (byte[] Bytes, string What) Mutate(byte[] batch, Random random, int maxSteps = 3)
    {
        var what = new List<string>();
        byte[] bytes = batch;
        int steps = random.Next(1, maxSteps + 1);
        for (int i = 0; i < steps; i++)
        {
            bool headerOnly = bytes.Length >= RecordBatch.HeaderSize && random.Next(4) == 0;
            if (headerOnly)
            {
                bytes = SetHeaderField(bytes, random, what);
                continue;
            }
            bool insideCompression = bytes.Length > RecordBatch.HeaderSize && Codec(bytes) is > 0 and <= 4 && random.Next(3) == 0;
            if (insideCompression && TryMutateInsideCompression(bytes, random, what) is byte[] recompressed)
            {
                bytes = recompressed;
                continue;
            }
            int from = bytes.Length > RecordBatch.HeaderSize && random.Next(3) != 0 ? RecordBatch.HeaderSize : 0;
            bytes = MutateBytes(bytes, from, random, what);
        }

        switch (random.Next(8))
        {
            case 0:
                what.Add("CRC left as it was");
                break;
            case 1:
                FixCrc(bytes);
                what.Add("CRC fixed, batchLength left");
                break;
            default:
                FixLengthAndCrc(bytes);
                break;
        }
        return (bytes, string.Join("; ", what));
    }

    /// <summary>One byte-level damage at or after <paramref name="from"/>.</summary>
    public static byte[] MutateBytes(byte[] bytes, int from, Random random, List<string> what)
    {
        int length = bytes.Length;
        int At() => length <= from ? from : random.Next(from, length);
        switch (random.Next(8))
        {
            case 0 when length > from:
            {
                int flips = random.Next(1, 9);
                for (int i = 0; i < flips; i++)
                {
                    int at = At();
                    bytes[at] ^= (byte)(1 << random.Next(8));
                }
                what.Add($"{flips} bit flip(s) after {from}");
                return bytes;
            }
            case 1 when length > from:
            {
                int at = At();
                bytes[at] = s_edgeBytes[random.Next(s_edgeBytes.Length)];
                what.Add($"byte {at} set to 0x{bytes[at]:X2}");
                return bytes;
            }
            case 2:
            {
                int cut = random.Next(Math.Min(from, length), length + 1);
                what.Add($"truncated to {cut}");
                return bytes[..cut];
            }
            case 3:
            {
                byte[] garbage = Garbage(random);
                what.Add($"{garbage.Length} bytes appended");
                return [.. bytes, .. garbage];
            }
            case 4:
            {
                int at = Math.Min(At(), length);
                byte[] garbage = Garbage(random);
                what.Add($"{garbage.Length} bytes inserted at {at}");
                return [.. bytes[..at], .. garbage, .. bytes[at..]];
            }
            case 5 when length > from:
            {
                int at = At();
                int count = random.Next(1, Math.Min(64, length - at) + 1);
                what.Add($"{count} bytes deleted at {at}");
                return [.. bytes[..at], .. bytes[(at + count)..]];
            }
            case 6 when length > from:
            {
                int at = At();
                int count = random.Next(1, Math.Min(256, length - at) + 1);
                what.Add($"{count} bytes at {at} duplicated");
                return [.. bytes[..(at + count)], .. bytes[at..]];
            }
            default:
            {
                // A run of continuation bytes: whatever varint it lands in becomes overlong or runs on.
                int at = Math.Min(At(), length);
                int run = random.Next(1, 12);
                byte[] varint = [.. Enumerable.Repeat((byte)(random.Next(2) == 0 ? 0xFF : 0x80), run), (byte)random.Next(0x80)];
                what.Add($"{run}-byte continuation run inserted at {at}");
                return [.. bytes[..at], .. varint, .. bytes[at..]];
            }
        }
    }

    /// <summary>Sets one header field (bytes 0–60) to an edge value.</summary>
    public static byte[] SetHeaderField(byte[] bytes, Random random, List<string> what)
    {
        Span<byte> span = bytes;
        switch (random.Next(9))
        {
            case 0:
                BinaryPrimitives.WriteInt64BigEndian(span, s_edgeLongs[random.Next(s_edgeLongs.Length)]);
                what.Add($"baseOffset {BinaryPrimitives.ReadInt64BigEndian(span)}");
                break;
            case 1:
                BinaryPrimitives.WriteInt32BigEndian(span[RecordBatch.BatchLengthOffset..], s_edgeInts[random.Next(s_edgeInts.Length)]);
                what.Add($"batchLength {BinaryPrimitives.ReadInt32BigEndian(span[RecordBatch.BatchLengthOffset..])}");
                break;
            case 2:
                span[RecordBatch.MagicOffset] = (byte)random.Next(4);
                what.Add($"magic {span[RecordBatch.MagicOffset]}");
                break;
            case 3:
            {
                short attributes = (short)random.Next(short.MinValue, short.MaxValue + 1);
                if (random.Next(2) == 0)
                    attributes = (short)((BinaryPrimitives.ReadInt16BigEndian(span[RecordBatch.AttributesOffset..]) & ~7) | random.Next(8));
                BinaryPrimitives.WriteInt16BigEndian(span[RecordBatch.AttributesOffset..], attributes);
                what.Add($"attributes 0x{attributes:X4}");
                break;
            }
            case 4:
                BinaryPrimitives.WriteInt32BigEndian(span[RecordBatch.LastOffsetDeltaOffset..], Lie(BinaryPrimitives.ReadInt32BigEndian(span[RecordBatch.LastOffsetDeltaOffset..]), random));
                what.Add($"lastOffsetDelta {BinaryPrimitives.ReadInt32BigEndian(span[RecordBatch.LastOffsetDeltaOffset..])}");
                break;
            case 5:
                BinaryPrimitives.WriteInt64BigEndian(span[RecordBatch.BaseTimestampOffset..], s_edgeLongs[random.Next(s_edgeLongs.Length)]);
                what.Add("baseTimestamp extreme");
                break;
            case 6:
                BinaryPrimitives.WriteInt64BigEndian(span[RecordBatch.MaxTimestampOffset..], s_edgeLongs[random.Next(s_edgeLongs.Length)]);
                what.Add("maxTimestamp extreme");
                break;
            default:
                BinaryPrimitives.WriteInt32BigEndian(span[RecordBatch.RecordCountOffset..], Lie(BinaryPrimitives.ReadInt32BigEndian(span[RecordBatch.RecordCountOffset..]), random));
                what.Add($"recordCount {BinaryPrimitives.ReadInt32BigEndian(span[RecordBatch.RecordCountOffset..])}");
                break;
        }
        return bytes;
    }

    /// <summary>Inflates the records block, damages it, and compresses it again with the same or another codec.</summary>
    private static byte[]? TryMutateInsideCompression(byte[] bytes, Random random, List<string> what)
    {
        byte[] region;
        try
        {
            using PooledBufferWriter inflated = CompressionCodecs.Decompress((CompressionType)Codec(bytes), bytes.AsSpan(RecordBatch.HeaderSize), 4 << 20);
            region = inflated.WrittenSpan.ToArray();
        }
        catch (CorruptRecordException)
        {
            return null;   // already damaged beyond the codec
        }
        var inner = new List<string>();
        region = MutateBytes(region, 0, random, inner);
        var codec = (CompressionType)(random.Next(4) == 0 ? random.Next(1, 5) : Codec(bytes));
        what.Add($"inside {(CompressionType)Codec(bytes)} compression: {string.Join(", ", inner)}; recompressed with {codec}");
        return WithRegion(bytes, Compress(codec, region), codec);
    }

    /// <summary>The batch with its records block replaced (and its codec bits set to <paramref name="codec"/>).</summary>
    public static byte[] WithRegion(byte[] batch, byte[] region, CompressionType codec)
    {
        byte[] result = [.. batch.AsSpan(0, RecordBatch.HeaderSize), .. region];
        short attributes = BinaryPrimitives.ReadInt16BigEndian(result.AsSpan(RecordBatch.AttributesOffset));
        BinaryPrimitives.WriteInt16BigEndian(result.AsSpan(RecordBatch.AttributesOffset), (short)((attributes & ~7) | (int)codec));
        FixLengthAndCrc(result);
        return result;
    }

    public static byte[] Compress(CompressionType codec, ReadOnlySpan<byte> data)
    {
        using var output = new PooledBufferWriter(Math.Max(1024, data.Length / 2));
        CompressionCodecs.Compress(codec, data, output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Rewrites batchLength to the array's length (when there is a header) and recomputes the CRC.</summary>
    public static void FixLengthAndCrc(byte[] batch)
    {
        if (batch.Length < RecordBatch.HeaderSize)
            return;
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatch.BatchLengthOffset), batch.Length - RecordBatch.LogOverhead);
        FixCrc(batch);
    }

    public static void FixCrc(byte[] batch)
    {
        if (batch.Length >= RecordBatch.HeaderSize)
            BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(RecordBatch.CrcOffset), Crc32C.Compute(batch.AsSpan(RecordBatch.AttributesOffset)));
    }

    private static int Codec(byte[] bytes) => BinaryPrimitives.ReadInt16BigEndian(bytes.AsSpan(RecordBatch.AttributesOffset)) & 7;

    /// <summary>A count or delta that lies: off by one, doubled, negative or extreme.</summary>
    private static int Lie(int truth, Random random) => random.Next(6) switch
    {
        0 => truth + 1,
        1 => truth - 1,
        2 => truth * 2 + 1,
        3 => -truth - 1,
        _ => s_edgeInts[random.Next(s_edgeInts.Length)],
    };

    private static byte[] Garbage(Random random)
    {
        byte[] garbage = new byte[random.Next(1, random.Next(2) == 0 ? 16 : 300)];
        random.NextBytes(garbage);
        return garbage;
    }
}
