using System.Buffers.Binary;
using Snappier;

namespace LogStore.Records.Compression;

/// <summary>
/// Kafka codec 2: Snappy in snappy-java's ("xerial") stream framing, which Kafka's Java client writes:
/// an 8-byte magic (0x82 'SNAPPY' 0x00), int32 version 1 and int32 minimum compatible version 1 (big-endian),
/// then chunks of [int32 big-endian compressed length][raw snappy block], each block at most 32 KiB of input.
/// Reading also accepts a bare snappy block (what snappy-java falls back to without the magic, and what
/// some non-Java clients write). Stateless and thread-safe.
/// </summary>
internal sealed class SnappyCodec : ICompressionCodec
{
    /// <summary>Uncompressed bytes per chunk: snappy-java's default block size.</summary>
    public const int ChunkSize = 32 * 1024;

    /// <summary>Bytes of the xerial header: magic, version, compatible version.</summary>
    public const int HeaderLength = 16;

    private static ReadOnlySpan<byte> Magic => [0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0];

    /// <inheritdoc/>
    public CompressionType Type => CompressionType.Snappy;

    /// <inheritdoc/>
    public void Compress(ReadOnlySpan<byte> source, PooledBufferWriter destination)
    {
        Span<byte> header = destination.GetSpan(HeaderLength);
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32BigEndian(header[8..], 1);
        BinaryPrimitives.WriteInt32BigEndian(header[12..], 1);
        destination.Advance(HeaderLength);

        while (!source.IsEmpty)
        {
            ReadOnlySpan<byte> chunk = source[..Math.Min(ChunkSize, source.Length)];
            source = source[chunk.Length..];
            Span<byte> output = destination.GetSpan(4 + Snappy.GetMaxCompressedLength(chunk.Length));
            int written = Snappy.Compress(chunk, output[4..]);
            BinaryPrimitives.WriteInt32BigEndian(output, written);
            destination.Advance(4 + written);
        }
    }

    /// <inheritdoc/>
    public void Decompress(ReadOnlySpan<byte> source, PooledBufferWriter destination)
    {
        if (source.Length < HeaderLength || !source.StartsWith(Magic))
        {
            DecompressBlock(source, destination);
            return;
        }

        int position = HeaderLength;
        while (position < source.Length)
        {
            if (source.Length - position < 4)
            {
                throw new CorruptRecordException("A snappy chunk length runs past the end of the records block.");
            }

            int length = BinaryPrimitives.ReadInt32BigEndian(source[position..]);
            position += 4;
            if (length < 0 || length > source.Length - position)
            {
                throw new CorruptRecordException($"A snappy chunk declares {length} bytes but {source.Length - position} remain.");
            }

            DecompressBlock(source.Slice(position, length), destination);
            position += length;
        }
    }

    private static void DecompressBlock(ReadOnlySpan<byte> block, PooledBufferWriter destination)
    {
        int length = Snappy.GetUncompressedLength(block);

        // Refuse a declared size above the cap before renting anything for it.
        destination.EnsureWithinLimit(length);
        int written = Snappy.Decompress(block, destination.GetSpan(length));
        destination.Advance(written);
    }
}
