using System.Buffers.Binary;
using System.Text;
using LogStore.Records;

namespace LogStore.Tests.Reliability.Fuzzing;

/// <summary>
/// Records regions written field by field, where every field may lie: lengths off by one, -1, -2 or extreme; offset
/// deltas repeated, negative or past lastOffsetDelta; header counts that do not match; and every varint written in its
/// shortest form, padded (a longer but legal form), overlong (more than 5 or 10 bytes) or cut off. Mostly the fields are
/// honest, so the decoder gets deep into a batch before it meets the lie.
/// </summary>
internal static class HostileRecords
{
    private static readonly int[] s_edgeInts = [int.MinValue, -2, -1, 0, 1, 63, 64, 8191, 8192, int.MaxValue];

    /// <summary>A batch (length and CRC correct) around <paramref name="count"/> records whose fields may lie; the
    /// header's recordCount and lastOffsetDelta lie now and then too.</summary>
    public static byte[] Batch(Random random, int count, CompressionType codec, out string what)
    {
        var lies = new List<string>();
        var region = new List<byte>();
        for (int i = 0; i < count; i++)
            region.AddRange(Record(random, i, lies));

        int recordCount = random.Next(8) == 0 ? Lie(count, random, lies, "recordCount") : count;
        int lastOffsetDelta = random.Next(8) == 0 ? Lie(count - 1, random, lies, "lastOffsetDelta") : count - 1;
        byte[] records = [.. region];
        byte[] block = codec == CompressionType.None ? records : BatchMutations.Compress(codec, records);
        byte[] batch = new byte[RecordBatch.HeaderSize + block.Length];
        BinaryPrimitives.WriteInt64BigEndian(batch, random.Next(3) == 0 ? long.MaxValue - random.Next(4) : random.Next());
        batch[RecordBatch.MagicOffset] = RecordBatch.CurrentMagic;
        short attributes = (short)((int)codec | (random.Next(4) == 0 ? 0x08 : 0));   // sometimes LogAppendTime
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(RecordBatch.AttributesOffset), attributes);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatch.LastOffsetDeltaOffset), lastOffsetDelta);
        BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(RecordBatch.BaseTimestampOffset), 1_700_000_000_000);
        BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(RecordBatch.MaxTimestampOffset), 1_700_000_000_999);
        BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(RecordBatch.ProducerIdOffset), -1);
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(RecordBatch.ProducerEpochOffset), -1);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatch.BaseSequenceOffset), -1);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatch.RecordCountOffset), recordCount);
        block.CopyTo(batch.AsSpan(RecordBatch.HeaderSize));
        BatchMutations.FixLengthAndCrc(batch);
        what = $"{count} hand-written {codec} records" + (lies.Count == 0 ? ", all honest" : ": " + string.Join(", ", lies));
        return batch;
    }

    private static byte[] Record(Random random, int index, List<string> lies)
    {
        var body = new List<byte> { (byte)(random.Next(8) == 0 ? random.Next(256) : 0) };
        WriteVarLong(body, random.Next(4) == 0 ? random.NextInt64(long.MinValue, long.MaxValue) : random.Next(-1000, 1000), random, lies, "timestampDelta");
        WriteVarInt(body, random.Next(10) == 0 ? Lie(index, random, lies, $"offsetDelta of record {index}") : index, random, lies, "offsetDelta");
        WriteBytes(body, random, lies, $"key of record {index}", random.Next(4) == 0 ? null : Bytes(random, 40));
        WriteBytes(body, random, lies, $"value of record {index}", random.Next(6) == 0 ? null : Bytes(random, random.Next(10) == 0 ? 3000 : 100));
        int headers = random.Next(4) == 0 ? random.Next(1, 4) : 0;
        WriteVarInt(body, random.Next(12) == 0 ? Lie(headers, random, lies, $"header count of record {index}") : headers, random, lies, "headerCount");
        for (int h = 0; h < headers; h++)
        {
            WriteBytes(body, random, lies, $"header key of record {index}", Encoding.UTF8.GetBytes(random.Next(3) == 0 ? "ключ" : "k" + h));
            WriteBytes(body, random, lies, $"header value of record {index}", random.Next(3) == 0 ? null : Bytes(random, 20));
        }

        var record = new List<byte>();
        int length = random.Next(12) == 0 ? Lie(body.Count, random, lies, $"length of record {index}") : body.Count;
        WriteVarInt(record, length, random, lies, "record length");
        record.AddRange(body);
        return [.. record];
    }

    private static void WriteBytes(List<byte> body, Random random, List<string> lies, string what, byte[]? bytes)
    {
        int length = bytes?.Length ?? -1;
        if (random.Next(14) == 0)
            length = Lie(length, random, lies, what + " length");
        WriteVarInt(body, length, random, lies, what + " length");
        if (bytes is not null)
            body.AddRange(bytes);
    }

    /// <summary>A zig-zag varint in one of its forms: mostly the shortest, sometimes padded, overlong or cut.</summary>
    private static void WriteVarInt(List<byte> output, int value, Random random, List<string> lies, string what) =>
        WriteUnsigned(output, (uint)((value << 1) ^ (value >> 31)), VarInt.MaxVarIntLength, random, lies, what);

    private static void WriteVarLong(List<byte> output, long value, Random random, List<string> lies, string what) =>
        WriteUnsigned(output, (ulong)((value << 1) ^ (value >> 63)), VarInt.MaxVarLongLength, random, lies, what);

    private static void WriteUnsigned(List<byte> output, ulong raw, int maxLength, Random random, List<string> lies, string what)
    {
        int shortest = 1;
        for (ulong v = raw >> 7; v != 0; v >>= 7)
            shortest++;
        int length = shortest;
        switch (random.Next(40))
        {
            case 0:
                length = random.Next(shortest, maxLength + 1);
                if (length > shortest)
                    lies.Add($"{what} padded to {length} bytes");
                break;
            case 1:
                length = maxLength + random.Next(1, 4);
                lies.Add($"{what} overlong ({length} bytes)");
                break;
            case 2:
                // A continuation bit on the last byte: the number runs into whatever follows.
                for (int i = 0; i < shortest; i++, raw >>= 7)
                    output.Add((byte)(raw | 0x80));
                lies.Add($"{what} unterminated");
                return;
        }
        for (int i = 0; i < length; i++, raw >>= 7)
            output.Add((byte)((raw & 0x7F) | (i < length - 1 ? 0x80u : 0)));
    }

    private static int Lie(int truth, Random random, List<string> lies, string what)
    {
        int lie = random.Next(5) switch
        {
            0 => truth + 1,
            1 => truth - 1,
            2 => -1,
            _ => s_edgeInts[random.Next(s_edgeInts.Length)],
        };
        lies.Add($"{what} {lie} (true {truth})");
        return lie;
    }

    private static byte[] Bytes(Random random, int max)
    {
        byte[] bytes = new byte[random.Next(max + 1)];
        random.NextBytes(bytes);
        return bytes;
    }
}
