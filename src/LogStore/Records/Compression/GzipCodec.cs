using System.IO.Compression;

namespace LogStore.Records.Compression;

/// <summary>
/// Kafka codec 1: gzip (RFC 1952), as Java's GZIPOutputStream writes it; level 6, Java's default.
/// Reading accepts several concatenated gzip members, as Java's GZIPInputStream does.
/// Stateless and thread-safe: each call makes its own zlib stream (gzip is the one codec that allocates
/// per batch, since .NET offers zlib only behind a Stream).
/// </summary>
internal sealed class GzipCodec : ICompressionCodec
{
    private const int ReadChunk = 16 * 1024;

    private static readonly ZLibCompressionOptions s_options = new() { CompressionLevel = 6 };

    private static ReadOnlySpan<byte> EmptyMember => [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0xFF, 0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0];

    /// <inheritdoc/>
    public CompressionType Type => CompressionType.Gzip;

    /// <inheritdoc/>
    public void Compress(ReadOnlySpan<byte> source, PooledBufferWriter destination)
    {
        if (source.IsEmpty)
        {
            // GZipStream writes nothing at all when nothing was written to it; Kafka's readers (and ours) expect a
            // gzip member: header, an empty final deflate block, CRC32 0 and size 0.
            EmptyMember.CopyTo(destination.GetSpan(EmptyMember.Length));
            destination.Advance(EmptyMember.Length);
            return;
        }
        using var output = new BufferWriterStream(destination);
        using (var gzip = new GZipStream(output, s_options, leaveOpen: true))
        {
            gzip.Write(source);
        }
    }

    /// <inheritdoc/>
    public unsafe void Decompress(ReadOnlySpan<byte> source, PooledBufferWriter destination)
    {
        if (source.IsEmpty)
        {
            // Nothing to inflate (and a null pointer for UnmanagedMemoryStream): yields no bytes.
            return;
        }

        fixed (byte* pointer = source)
        {
            // Why unmanaged: the source is a span (possibly over a memory-mapped file); pinning it for the
            // call lets GZipStream read it without copying it into an array first.
            using var input = new UnmanagedMemoryStream(pointer, source.Length);
            using var gzip = new GZipStream(input, CompressionMode.Decompress);
            while (true)
            {
                int read = gzip.Read(destination.GetSpan(ReadChunk));
                if (read == 0)
                {
                    break;
                }

                destination.Advance(read);
            }
        }
    }
}
