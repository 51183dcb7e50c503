using System.Runtime.CompilerServices;

namespace LogStore.Records.Compression;

/// <summary>
/// Finds the codec for a Kafka codec id, and decompresses with the error handling every reader needs:
/// an unknown id, a damaged block or one that inflates past its cap is a <see cref="CorruptRecordException"/>
/// (with the codec's own exception inside), never a raw library exception. Thread-safe.
/// </summary>
internal static class CompressionCodecs
{
    private static readonly ICompressionCodec s_gzip = new GzipCodec();
    private static readonly ICompressionCodec s_snappy = new SnappyCodec();
    private static readonly ICompressionCodec s_lz4 = new Lz4Codec();
    private static readonly ICompressionCodec s_zstd = new ZstdCodec();

    /// <summary>The codec for <paramref name="type"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="type"/> is <see cref="CompressionType.None"/>.</exception>
    /// <exception cref="CorruptRecordException"><paramref name="type"/> is not a Kafka codec id (5, 6, 7, …).</exception>
    public static ICompressionCodec Get(CompressionType type) => type switch
    {
        CompressionType.Gzip => s_gzip,
        CompressionType.Snappy => s_snappy,
        CompressionType.Lz4 => s_lz4,
        CompressionType.Zstd => s_zstd,
        CompressionType.None => throw new ArgumentException("CompressionType.None has no codec.", nameof(type)),
        _ => throw new CorruptRecordException($"Unknown compression codec id {(int)type}; Kafka knows 0 (none) to 4 (zstd)."),
    };

    /// <summary>
    /// Decompresses <paramref name="source"/> into a new pooled buffer of at most
    /// <paramref name="maxBytes"/> bytes, which the caller owns and must dispose.
    /// </summary>
    /// <exception cref="CorruptRecordException">Unknown codec, damaged block, or more than <paramref name="maxBytes"/> bytes.</exception>
    public static PooledBufferWriter Decompress(CompressionType type, ReadOnlySpan<byte> source, int maxBytes)
    {
        ICompressionCodec codec = Get(type);

        // A first guess: most record blocks compress 2–5×; the buffer doubles from there if needed.
        int initial = (int)Math.Clamp(source.Length * 4L, 1024, Math.Min(maxBytes, 1 << 20));
        var destination = new PooledBufferWriter(initial, maxBytes);
        try
        {
            codec.Decompress(source, destination);
            return destination;
        }
        catch (CorruptRecordException)
        {
            destination.Dispose();
            throw;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            destination.Dispose();
            throw Wrap(type, ex);
        }
    }

    /// <summary>Compresses <paramref name="source"/> with <paramref name="type"/>'s codec, appending to <paramref name="destination"/>.</summary>
    public static void Compress(CompressionType type, ReadOnlySpan<byte> source, PooledBufferWriter destination) =>
        Get(type).Compress(source, destination);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static CorruptRecordException Wrap(CompressionType type, Exception ex) =>
        new($"The {type} records block of a batch could not be decompressed: {ex.Message}", innerException: ex);
}
