using System.Buffers.Binary;
using LogStore.Records;

namespace LogStore.Tests.Reliability.Fuzzing;

/// <summary>
/// Records blocks that inflate far beyond their size: zeros compressed by each codec (ratios of 250 to 1,000+ to 1),
/// and blocks whose headers claim a huge size (a snappy length of 2 GiB, a zstd frame of 2^40 bytes with a 128 MiB
/// window made of run-length blocks). Built once and shared; thread-safe.
/// </summary>
internal static class DecompressionBombs
{
    private static readonly Lazy<byte[]>[] s_zeros = [.. Enumerable.Range(0, 5).Select(codec => new Lazy<byte[]>(() =>
        codec == 0 ? [] : BatchMutations.Compress((CompressionType)codec, new byte[ZerosBytes])))];

    /// <summary>What the zero bombs inflate to: 8 MiB, well past every cap the fuzzer uses.</summary>
    public const int ZerosBytes = 8 << 20;

    /// <summary><see cref="ZerosBytes"/> zeros compressed with <paramref name="codec"/>.</summary>
    public static byte[] Zeros(CompressionType codec) => s_zeros[(int)codec].Value;

    /// <summary><paramref name="bytes"/> zeros compressed with <paramref name="codec"/> (not cached: for the big tests).</summary>
    public static byte[] Zeros(CompressionType codec, int bytes) => BatchMutations.Compress(codec, new byte[bytes]);

    /// <summary>A raw snappy block that declares 2 GiB - 1 uncompressed bytes and holds none.</summary>
    public static byte[] SnappyClaim => [0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00];

    /// <summary>A zstd frame that declares 2^40 bytes and a 2^<paramref name="windowLog"/>-byte window (128 MiB by
    /// default), then run-length blocks of 128 KiB each (4 bytes per block): <paramref name="blocks"/> × 128 KiB of
    /// output from a few hundred bytes.</summary>
    public static byte[] ZstdClaim(int blocks = 64, int windowLog = 27)
    {
        byte[] frame = new byte[4 + 1 + 1 + 8 + (blocks * 4)];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, 0xFD2FB528);
        frame[4] = 0xC0;                   // 8-byte content size, window descriptor present
        frame[5] = (byte)((windowLog - 10) << 3);
        BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(6), 1UL << 40);
        for (int i = 0; i < blocks; i++)
        {
            int header = (i == blocks - 1 ? 1 : 0) | (1 << 1) | ((128 * 1024) << 3);   // last?, RLE, 128 KiB
            int at = 14 + (i * 4);
            frame[at] = (byte)header;
            frame[at + 1] = (byte)(header >> 8);
            frame[at + 2] = (byte)(header >> 16);
            frame[at + 3] = 0x5A;
        }
        return frame;
    }

    /// <summary>A batch (length and CRC correct, recordCount 1) around <paramref name="block"/>.</summary>
    public static byte[] Batch(byte[] block, CompressionType codec)
    {
        byte[] batch = new byte[RecordBatch.HeaderSize + block.Length];
        batch[RecordBatch.MagicOffset] = RecordBatch.CurrentMagic;
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(RecordBatch.AttributesOffset), (short)codec);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatch.RecordCountOffset), 1);
        block.CopyTo(batch.AsSpan(RecordBatch.HeaderSize));
        BatchMutations.FixLengthAndCrc(batch);
        return batch;
    }
}
