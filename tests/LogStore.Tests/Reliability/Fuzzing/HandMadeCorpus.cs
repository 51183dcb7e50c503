using System.Buffers.Binary;
using LogStore.Tests.Records;

namespace LogStore.Tests.Reliability.Fuzzing;

/// <summary>
/// The hand-made part of the fuzz corpus (tests/LogStore.Tests/Reliability/FuzzCorpus/): one input per known trap of
/// the format — bombs and size claims for every codec, each kind of lying length, count and delta, overlong and
/// lenient varints, garbage that a codec accepts. Written by <c>RecordBatchFuzzTests.FuzzCorpus_Regenerate</c>;
/// the corpus also keeps inputs the fuzzer found, under their own names.
/// </summary>
internal static class HandMadeCorpus
{
    /// <summary>Writes every hand-made input into <paramref name="directory"/>.</summary>
    public static void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        foreach ((string name, byte[] bytes) in Inputs())
            File.WriteAllBytes(Path.Combine(directory, name + ".bin"), bytes);
    }

    private static IEnumerable<(string Name, byte[] Bytes)> Inputs()
    {
        byte[] one = RawBatch.Record(0, keyLength: 1, key: [1], valueLength: 2, value: [2, 3]);
        byte[] two = [.. one, .. RawBatch.Record(1, valueLength: 1, value: [4])];

        // Decompression bombs and size claims, under max.message.bytes' default cap (1 MiB) unless named.
        yield return ("bomb-gzip-8mib-zeros-cap1048576", DecompressionBombs.Batch(DecompressionBombs.Zeros(CompressionType.Gzip), CompressionType.Gzip));
        yield return ("bomb-lz4-8mib-zeros-cap1048576", DecompressionBombs.Batch(DecompressionBombs.Zeros(CompressionType.Lz4), CompressionType.Lz4));
        yield return ("bomb-zstd-8mib-zeros-cap1048576", DecompressionBombs.Batch(DecompressionBombs.Zeros(CompressionType.Zstd), CompressionType.Zstd));
        yield return ("bomb-snappy-1536kib-zeros-cap1048576", DecompressionBombs.Batch(DecompressionBombs.Zeros(CompressionType.Snappy, 1536 << 10), CompressionType.Snappy));
        yield return ("claim-snappy-2gib", DecompressionBombs.Batch(DecompressionBombs.SnappyClaim, CompressionType.Snappy));
        yield return ("claim-zstd-2pow40-window-128mib-cap65536", DecompressionBombs.Batch(DecompressionBombs.ZstdClaim(), CompressionType.Zstd));

        // Garbage a codec accepts: only the record checks stand in the way.
        byte[] garbage = new byte[300];
        new Random(7).NextBytes(garbage);
        for (int codec = 1; codec <= 4; codec++)
            yield return ($"garbage-records-in-valid-{(CompressionType)codec}", RawBatch.Create(BatchMutations.Compress((CompressionType)codec, garbage), 5, 4, (CompressionType)codec));
        byte[] zstd = RecordGenerators.Build(CompressionType.Zstd, [new RecordModel(1, [1], new byte[500], [])]);
        byte[] cutZstd = zstd[..^7];
        BatchMutations.FixLengthAndCrc(cutZstd);
        yield return ("zstd-frame-cut-short", cutZstd);

        // Lengths that lie.
        yield return ("record-length-overlong-varint", RawBatch.Create([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, .. one], 1, 0));
        yield return ("record-length-negative", RawBatch.Create(RawBatch.Record(0, bodyLength: -2), 1, 0));
        yield return ("record-length-int-max", RawBatch.Create(RawBatch.Record(0, bodyLength: int.MaxValue), 1, 0));
        yield return ("record-length-zero", RawBatch.Create([0x00, .. one], 2, 1));
        yield return ("key-length-int-min", RawBatch.Create(RawBatch.Record(0, keyLength: int.MinValue), 1, 0));
        yield return ("value-length-past-record", RawBatch.Create(RawBatch.Record(0, valueLength: 5, value: [1]), 1, 0));
        // attributes, an 11-byte timestampDelta, offsetDelta 0, null key, null value, no headers.
        yield return ("timestamp-delta-overlong-varlong", RawBatch.Create(WithLength([0, .. Enumerable.Repeat((byte)0xFF, 10), 0x01, 0, 1, 1, 0]), 1, 0));

        // Counts and deltas that lie.
        yield return ("record-count-int-max", RawBatch.Create(one, int.MaxValue, 0));
        yield return ("record-count-too-low", RawBatch.Create(two, 1, 1));
        yield return ("record-count-too-high", RawBatch.Create(two, 3, 2));
        yield return ("last-offset-delta-negative", RawBatch.Create(one, 1, -1));
        yield return ("last-offset-delta-below-records", RawBatch.Create(two, 2, 0));
        yield return ("offset-delta-repeated", RawBatch.Create([.. one, .. one], 2, 1));
        yield return ("offset-delta-negative", RawBatch.Create(RawBatch.Record(-1), 1, 0));
        yield return ("base-offset-max-with-deltas", WithBaseOffset(RawBatch.Create(two, 2, 1), long.MaxValue));

        // Headers that lie.
        yield return ("header-count-int-max", RawBatch.Create(RawBatch.Record(0, headerCount: int.MaxValue), 1, 0));
        yield return ("header-count-negative", RawBatch.Create(RawBatch.Record(0, headerCount: -1), 1, 0));
        yield return ("header-key-null", RawBatch.Create(RawBatch.Record(0, headerCount: 1, headers: RawBatch.Header(-1, [], 0, [])), 1, 0));
        yield return ("header-value-length-minus-two", RawBatch.Create(RawBatch.Record(0, headerCount: 1, headers: RawBatch.Header(1, [(byte)'h'], -2, null)), 1, 0));
        yield return ("header-key-invalid-utf8", RawBatch.Create(RawBatch.Record(0, headerCount: 1, headers: RawBatch.Header(2, [0xC3, 0x28], -1, null)), 1, 0));

        // Legal but unusual: these decode (Kafka reads them too).
        yield return ("ok-varints-not-shortest", RawBatch.Create(Replace(one, 0, [(byte)(0x80 | (one[0] & 0x7F)), 0x80, 0x00], 1), 1, 0));
        yield return ("ok-varint-5th-byte-surplus-bits", RawBatch.Create(Replace(one, 0, [(byte)(0x80 | one[0]), 0x80, 0x80, 0x80, 0x70], 1), 1, 0));
        yield return ("ok-log-append-time-and-control-bits", RawBatch.Create(two, 2, 1, extraAttributes: 0x28));
        yield return ("ok-empty-batch", RawBatch.Create([], 0, -1));
    }

    /// <summary><paramref name="record"/> with <paramref name="count"/> bytes at <paramref name="at"/> replaced.</summary>
    private static byte[] Replace(byte[] record, int at, byte[] with, int count) => [.. record[..at], .. with, .. record[(at + count)..]];

    /// <summary>A record made of <paramref name="body"/> behind its (one-byte) length varint.</summary>
    private static byte[] WithLength(byte[] body) => [(byte)(body.Length << 1), .. body];

    private static byte[] WithBaseOffset(byte[] batch, long baseOffset)
    {
        BinaryPrimitives.WriteInt64BigEndian(batch, baseOffset);
        return batch;
    }
}
