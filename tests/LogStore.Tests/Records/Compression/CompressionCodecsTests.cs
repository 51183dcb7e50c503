using System.Buffers.Binary;
using LogStore;
using LogStore.Records;
using LogStore.Records.Compression;
using Snappier;

namespace LogStore.Tests.Records.Compression;

/// <summary>Codec lookup and the wire details each codec must match to interoperate with Kafka's Java client.</summary>
[TestFixture]
public sealed class CompressionCodecsTests
{
    [TestCase(5)]
    [TestCase(6)]
    [TestCase(7)]
    public void Get_UnknownId_ThrowsCorruptRecord(int id)
    {
        Assert.That(() => CompressionCodecs.Get((CompressionType)id), Throws.TypeOf<CorruptRecordException>());
        Assert.That(() => CompressionCodecs.Decompress((CompressionType)id, [1, 2], 100), Throws.TypeOf<CorruptRecordException>());
    }

    [Test]
    public void Get_None_ThrowsArgument()
    {
        Assert.That(() => CompressionCodecs.Get(CompressionType.None), Throws.ArgumentException);
    }

    [Test]
    public void Snappy_Compress_WritesXerialFramingIn32KiBChunks()
    {
        byte[] data = new byte[70_000];
        new Random(1).NextBytes(data);

        byte[] framed = Compress(CompressionType.Snappy, data);

        Assert.That(framed[..8], Is.EqualTo(new byte[] { 0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0 }));
        Assert.That(BinaryPrimitives.ReadInt32BigEndian(framed.AsSpan(8)), Is.EqualTo(1), "version");
        Assert.That(BinaryPrimitives.ReadInt32BigEndian(framed.AsSpan(12)), Is.EqualTo(1), "compatible version");
        var chunkSizes = new List<int>();
        int position = 16;
        while (position < framed.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(framed.AsSpan(position));
            chunkSizes.Add(Snappy.GetUncompressedLength(framed.AsSpan(position + 4, length)));
            position += 4 + length;
        }

        Assert.That(position, Is.EqualTo(framed.Length));
        Assert.That(chunkSizes, Is.EqualTo(new[] { 32768, 32768, 70_000 - 65536 }));
    }

    [Test]
    public void Snappy_Decompress_RawBlockWithoutFraming_IsAccepted()
    {
        byte[] data = "raw snappy block, as some non-Java clients write it"u8.ToArray();
        byte[] block = Snappy.CompressToArray(data);

        using PooledBufferWriter output = CompressionCodecs.Decompress(CompressionType.Snappy, block, 1024);

        Assert.That(output.WrittenSpan.ToArray(), Is.EqualTo(data));
    }

    [Test]
    public void Snappy_Decompress_ChunkLengthPastEnd_ThrowsCorruptRecord()
    {
        byte[] framed = Compress(CompressionType.Snappy, new byte[100]);
        BinaryPrimitives.WriteInt32BigEndian(framed.AsSpan(16), 10_000);

        Assert.That(() => CompressionCodecs.Decompress(CompressionType.Snappy, framed, 1024), Throws.TypeOf<CorruptRecordException>());
    }

    [Test]
    public void Snappy_Decompress_HeaderOnly_YieldsNothing()
    {
        byte[] framed = Compress(CompressionType.Snappy, []);

        using PooledBufferWriter output = CompressionCodecs.Decompress(CompressionType.Snappy, framed, 1024);

        Assert.That(framed, Has.Length.EqualTo(16));
        Assert.That(output.WrittenCount, Is.Zero);
    }

    [Test]
    public void Lz4_Compress_WritesKafkaFrameDescriptor()
    {
        byte[] frame = Compress(CompressionType.Lz4, new byte[1000]);

        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(frame), Is.EqualTo(0x184D2204u), "LZ4 frame magic");
        Assert.That(frame[4], Is.EqualTo(0x60), "FLG: version 01, independent blocks, no checksums, no content size");
        Assert.That(frame[5], Is.EqualTo(0x40), "BD: 64 KiB blocks");
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(frame.Length - 4)), Is.Zero, "end mark, no content checksum");
    }

    [Test]
    public void Zstd_Compress_WritesZstandardFrame()
    {
        byte[] frame = Compress(CompressionType.Zstd, new byte[1000]);

        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(frame), Is.EqualTo(0xFD2FB528u));
    }

    [Test]
    public void Zstd_Decompress_ConcatenatedFrames_YieldsBoth()
    {
        byte[] frames = [.. Compress(CompressionType.Zstd, [1, 2, 3]), .. Compress(CompressionType.Zstd, [4, 5])];

        using PooledBufferWriter output = CompressionCodecs.Decompress(CompressionType.Zstd, frames, 1024);

        Assert.That(output.WrittenSpan.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3, 4, 5 }));
    }

    [Test]
    public void Gzip_Compress_WritesGzipMember()
    {
        byte[] member = Compress(CompressionType.Gzip, new byte[1000]);

        Assert.That(member[..3], Is.EqualTo(new byte[] { 0x1F, 0x8B, 0x08 }));
    }

    [Test]
    public void Gzip_Decompress_ConcatenatedMembers_YieldsBoth()
    {
        byte[] members = [.. Compress(CompressionType.Gzip, [1, 2, 3]), .. Compress(CompressionType.Gzip, [4, 5])];

        using PooledBufferWriter output = CompressionCodecs.Decompress(CompressionType.Gzip, members, 1024);

        Assert.That(output.WrittenSpan.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3, 4, 5 }));
    }

    private static byte[] Compress(CompressionType type, byte[] data)
    {
        using var destination = new PooledBufferWriter(64);
        CompressionCodecs.Compress(type, data, destination);
        return destination.WrittenSpan.ToArray();
    }
}
