using LogStore.Records;
using LogStore.Records.Compression;
using LogStore.Tests.Reliability.Fuzzing;

namespace LogStore.Tests.Reliability;

/// <summary>
/// Regression tests for what the hostile-input work found and fixed in src/LogStore/Records (tests/RELIABILITY.md,
/// "Hostile input"), one test per finding.
/// </summary>
[TestFixture]
public sealed class DecoderRegressionTests
{
    /// <summary>Finding 1: a capped writer asked for a chunk near its cap rented the cap plus the chunk, which the pool
    /// rounds up to the next power of two: a 64 MiB cap made a bomb cost a 128 MiB array. Now it never holds more than
    /// the cap, and at the cap it still hands out room (so a decoder with more output fails in Advance).</summary>
    [Test]
    public void PooledBufferWriter_ChunksUpToTheCap_NeverRentsPastTheCapsBucket()
    {
        const int Cap = 64 << 10;
        using var writer = new PooledBufferWriter(1024, Cap);
        while (writer.WrittenCount < Cap)
        {
            Span<byte> span = writer.GetSpan(16 << 10);
            Assert.That(span.Length, Is.Positive);
            writer.Advance(Math.Min(span.Length, Cap - writer.WrittenCount));
            Assert.That(writer.Buffer.Length, Is.LessThanOrEqualTo(Cap));
        }

        Span<byte> past = writer.GetSpan(16 << 10);
        Assert.That(past.Length, Is.Positive, "an empty span reads as the end of output to stream copies");
        Assert.That(writer.Buffer.Length, Is.EqualTo(Cap));
        Assert.That(() => writer.Advance(1), Throws.TypeOf<CorruptRecordException>().With.Message.Contains("limit"));
        Assert.That(writer.WrittenCount, Is.EqualTo(Cap));
    }

    /// <summary>The other side of finding 1: a block that inflates to exactly the cap is still accepted by every codec,
    /// and one byte more is refused.</summary>
    [TestCase(CompressionType.Gzip)]
    [TestCase(CompressionType.Snappy)]
    [TestCase(CompressionType.Lz4)]
    [TestCase(CompressionType.Zstd)]
    public void Decompress_ExactlyTheCap_AcceptedAndOneByteMore_Refused(CompressionType codec)
    {
        const int Cap = 100_000;
        byte[] data = new byte[Cap];
        new Random(1).NextBytes(data.AsSpan(0, Cap / 2));

        using (PooledBufferWriter exact = CompressionCodecs.Decompress(codec, BatchMutations.Compress(codec, data), Cap))
            Assert.That(exact.WrittenSpan.SequenceEqual(data), Is.True);
        Assert.That(() => CompressionCodecs.Decompress(codec, BatchMutations.Compress(codec, [.. data, 0]), Cap).Dispose(),
            Throws.TypeOf<CorruptRecordException>().With.Message.Contains("limit"));
    }
}
