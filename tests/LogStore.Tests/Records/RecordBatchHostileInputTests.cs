using LogStore.Tests.Reliability.Fuzzing;
using System.Buffers.Binary;
using System.IO.Compression;
using CsCheck;
using LogStore;
using LogStore.Records;
using LogStore.Records.Compression;

namespace LogStore.Tests.Records;

/// <summary>
/// Damaged and hostile batches: truncation, bit flips, garbage and decompression bombs must surface only as
/// <see cref="CorruptRecordException"/> (or a CRC mismatch), never as another exception type.
/// </summary>
[TestFixture]
public sealed class RecordBatchHostileInputTests
{
    private static readonly RecordModel[] s_sample =
    [
        new(1_700_000_000_000, [1, 2, 3], [4, 5, 6, 7], [new Header("h", [9]), new Header("n", null)]),
        new(1_700_000_000_500, null, [], []),
        new(1_699_999_999_000, [], null, [new Header("café", [])]),
        new(1_700_000_001_000, new byte[300], new byte[200], []),
    ];

    public static IEnumerable<CompressionType> Codecs => Enum.GetValues<CompressionType>();

    [TestCaseSource(nameof(Codecs))]
    public void Parse_EveryTruncation_ThrowsCorruptRecord(CompressionType codec)
    {
        byte[] bytes = RecordGenerators.Build(codec, s_sample);
        for (int length = 0; length < bytes.Length; length++)
        {
            byte[] truncated = bytes[..length];
            Assert.That(() => RecordBatch.Parse(truncated), Throws.TypeOf<CorruptRecordException>(), $"length {length}");
        }
    }

    [TestCaseSource(nameof(Codecs))]
    public void Enumerate_EveryTruncationWithFixedLength_ThrowsOnlyCorruptRecord(CompressionType codec)
    {
        byte[] bytes = RecordGenerators.Build(codec, s_sample);
        for (int length = RecordBatch.HeaderSize; length < bytes.Length; length++)
        {
            // The framing and CRC are made to agree, so only the records' own checks can catch it.
            byte[] truncated = bytes[..length];
            RawBatch.FixLengthAndCrc(truncated);
            RecordBatch batch = RecordBatch.Parse(truncated);
            Assert.That(batch.IsValid, Is.True);

            List<RecordModel> read;
            try
            {
                read = RecordModel.ReadAll(batch);
            }
            catch (CorruptRecordException)
            {
                continue;
            }

            // Only a compressed block cut in its last bytes (gzip's 8-byte CRC and size trailer, which .NET does
            // not insist on, and the final deflate byte) can still decode, and then it must decode to exactly the
            // original records, never to something else.
            Assert.That(codec, Is.Not.EqualTo(CompressionType.None), $"length {length} decoded");
            Assert.That(length, Is.GreaterThanOrEqualTo(bytes.Length - 12), $"length {length} decoded");
            RecordModel.AssertSame(read, s_sample, 0);
        }
    }

    [Test]
    public void Enumerate_RandomBitFlips_CrcCatchesThemAndReadingThrowsOnlyCorruptRecord()
    {
        Gen.Select(RecordGenerators.Records, RecordGenerators.Codec).SelectMany(
                (records, codec) => Gen.Int[0, 1 << 20].Select(bitSeed => (RecordGenerators.Build(codec, records), bitSeed)))
            .Sample((bytes, bitSeed) =>
            {
                int bit = bitSeed % (bytes.Length * 8);
                bytes[bit / 8] ^= (byte)(1 << (bit % 8));
                int position = bit / 8;

                RecordBatch batch;
                try
                {
                    batch = RecordBatch.Parse(bytes);
                }
                catch (CorruptRecordException)
                {
                    return; // length, magic, codec or count damaged: refused up front
                }

                if (position >= RecordBatch.CrcOffset)
                {
                    Assert.That(batch.IsValid, Is.False, $"a flip at byte {position} must break the CRC");
                    Assert.That(batch.EnsureValid, Throws.TypeOf<CorruptRecordException>());
                }
                else
                {
                    Assert.That(batch.IsValid, Is.True, "baseOffset, batchLength and epoch are outside the CRC");
                }

                ReadExpectingOnlyCorruptRecord(batch);
            }, iter: 2000);
    }

    [Test]
    public void Enumerate_RandomGarbageRecords_ThrowsOnlyCorruptRecord()
    {
        Gen.Select(Gen.Byte.Array[0, 600], Gen.Int[0, 50], Gen.Int[0, 60], RecordGenerators.Codec)
            .Sample((garbage, count, lastOffsetDelta, codec) =>
            {
                RecordBatch batch = RecordBatch.Parse(RawBatch.Create(garbage, count, lastOffsetDelta, codec));

                Assert.That(batch.IsValid, Is.True);
                ReadExpectingOnlyCorruptRecord(batch);
            }, iter: 3000);
    }

    [Test]
    public void Enumerate_GarbageWithValidCompressionFraming_ThrowsOnlyCorruptRecord()
    {
        // Valid compressed blocks of random bytes: decompression succeeds, record parsing must catch the rest.
        Gen.Select(Gen.Byte.Array[1, 600], Gen.Int[1, 50], RecordGenerators.Codec).Sample((garbage, count, codec) =>
        {
            byte[] region = codec == CompressionType.None ? garbage : Compress(codec, garbage);
            RecordBatch batch = RecordBatch.Parse(RawBatch.Create(region, count, count - 1, codec));

            ReadExpectingOnlyCorruptRecord(batch);
        }, iter: 1000);
    }

    [TestCase(CompressionType.Gzip)]
    [TestCase(CompressionType.Snappy)]
    [TestCase(CompressionType.Lz4)]
    [TestCase(CompressionType.Zstd)]
    public void GetEnumerator_BlockInflatingPastTheLimit_IsRefused(CompressionType codec)
    {
        byte[] zeros = new byte[1 << 20];
        RecordBatch batch = RecordBatch.Parse(RawBatch.Create(Compress(codec, zeros), 1, 0, codec));

        Assert.That(() => { using RecordEnumerator e = batch.GetEnumerator(64 * 1024); },
            Throws.TypeOf<CorruptRecordException>().With.Message.Contains("limit"));
        Assert.That(() => batch.DecompressRecords(64 * 1024), Throws.TypeOf<CorruptRecordException>());
    }

    [Test]
    public void GetEnumerator_GzipBombPastDefaultLimit_IsRefused()
    {
        // 65 MiB of zeros deflate to ~65 KiB; the default 64 MiB cap must stop the inflation.
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            byte[] chunk = new byte[1 << 20];
            for (int i = 0; i < 65; i++)
            {
                gzip.Write(chunk);
            }
        }

        RecordBatch batch = RecordBatch.Parse(RawBatch.Create(compressed.ToArray(), 1, 0, CompressionType.Gzip));

        Assert.That(() => RecordModel.ReadAll(batch), Throws.TypeOf<CorruptRecordException>().With.Message.Contains("limit"));
    }

    [Test]
    public void GetEnumerator_SnappyBlockClaimingHugeSize_IsRefusedBeforeAllocating()
    {
        // A raw snappy block starts with its uncompressed length as a varint: claim 2 GiB - 1.
        byte[] block = [0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00];
        RecordBatch batch = RecordBatch.Parse(RawBatch.Create(block, 1, 0, CompressionType.Snappy));
        long before = GC.GetAllocatedBytesForCurrentThread();

        Assert.That(() => RecordModel.ReadAll(batch), Throws.TypeOf<CorruptRecordException>());
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(1 << 20));
    }

    [Test]
    public void GetEnumerator_ZstdFrameClaimingHugeContentSize_IsRefusedAtTheLimit()
    {
        // A 128 KiB window, content size 2^40, then 16 RLE blocks of 128 KiB: 4 bytes each that would inflate to 2 MiB.
        byte[] frame = DecompressionBombs.ZstdClaim(blocks: 16, windowLog: 17);
        RecordBatch batch = RecordBatch.Parse(RawBatch.Create(frame, 1, 0, CompressionType.Zstd));

        Assert.That(() => { using RecordEnumerator e = batch.GetEnumerator(256 * 1024); },
            Throws.TypeOf<CorruptRecordException>().With.Message.Contains("limit"));
    }

    [TestCase(5)]
    [TestCase(6)]
    [TestCase(7)]
    public void Parse_UnknownCodecId_ThrowsCorruptRecord(int codecId)
    {
        byte[] bytes = RawBatch.Create([], 0, 0, (CompressionType)codecId);

        Assert.That(() => RecordBatch.Parse(bytes), Throws.TypeOf<CorruptRecordException>().With.Message.Contains("codec"));
    }

    private static byte[] Compress(CompressionType codec, byte[] data)
    {
        using var output = new PooledBufferWriter(1024);
        CompressionCodecs.Compress(codec, data, output);
        return output.WrittenSpan.ToArray();
    }

    private static void ReadExpectingOnlyCorruptRecord(RecordBatch batch)
    {
        try
        {
            foreach (Record record in batch)
            {
                foreach (RecordHeader header in record.Headers)
                {
                    _ = header.Key.Length + header.Value.Length;
                }
            }
        }
        catch (CorruptRecordException)
        {
            // the only acceptable failure
        }
    }
}
