using System.Buffers;
using ZstdSharp;

namespace LogStore.Records.Compression;

/// <summary>
/// Kafka codec 4: Zstandard frames (RFC 8878), compressed at level 3 (Kafka's default) with ZstdSharp.
/// Reading streams frame by frame, so it needs no content size in the frame header (Java's zstd-jni stream
/// writes none) and stops at the writer's cap whatever a hostile header claims.
/// Thread-safe: ZstdSharp's contexts are not, so each thread reuses its own compressor and decompressor.
/// </summary>
internal sealed class ZstdCodec : ICompressionCodec
{
    /// <summary>Kafka's default zstd level (compression.zstd.level).</summary>
    public const int Level = 3;

    private const int OutputChunk = 64 * 1024;

    [ThreadStatic]
    private static Compressor? t_compressor;

    [ThreadStatic]
    private static Decompressor? t_decompressor;

    /// <inheritdoc/>
    public CompressionType Type => CompressionType.Zstd;

    /// <inheritdoc/>
    public void Compress(ReadOnlySpan<byte> source, PooledBufferWriter destination)
    {
        Compressor compressor = t_compressor ??= new Compressor(Level);
        int bound = Compressor.GetCompressBound(source.Length);
        int written = compressor.Wrap(source, destination.GetSpan(bound));
        destination.Advance(written);
    }

    /// <inheritdoc/>
    public void Decompress(ReadOnlySpan<byte> source, PooledBufferWriter destination)
    {
        Decompressor decompressor = t_decompressor ??= new Decompressor();

        // A failed call may leave the context mid-frame; start every block from a clean session.
        decompressor.ResetStream();
        int consumed = 0;
        while (true)
        {
            OperationStatus status = decompressor.UnwrapStream(
                source[consumed..], destination.GetSpan(OutputChunk), out int read, out int written);
            consumed += read;
            destination.Advance(written);
            switch (status)
            {
                case OperationStatus.Done:
                    return;
                case OperationStatus.DestinationTooSmall:
                    continue;
                case OperationStatus.NeedMoreData:
                    throw new CorruptRecordException("The zstd records block ends in the middle of a frame.");
                default:
                    decompressor.ResetStream();
                    throw new CorruptRecordException("The zstd records block is not valid Zstandard data.");
            }
        }
    }
}
