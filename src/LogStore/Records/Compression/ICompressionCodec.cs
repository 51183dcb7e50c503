namespace LogStore.Records.Compression;

/// <summary>
/// One of Kafka's record-batch codecs: turns the records block of a batch into its compressed form and
/// back. Implementations are stateless singletons (any reusable native context is per thread), so they are
/// thread-safe. Decompression writes into a capped <see cref="PooledBufferWriter"/>, which throws
/// <see cref="CorruptRecordException"/> at its cap; any other failure is wrapped by
/// <see cref="CompressionCodecs.Decompress"/>.
/// </summary>
internal interface ICompressionCodec
{
    /// <summary>The Kafka codec id this implements.</summary>
    CompressionType Type { get; }

    /// <summary>Appends the compressed form of <paramref name="source"/> to <paramref name="destination"/>.</summary>
    void Compress(ReadOnlySpan<byte> source, PooledBufferWriter destination);

    /// <summary>
    /// Appends the decompressed form of <paramref name="source"/> to <paramref name="destination"/>,
    /// never writing past its <see cref="PooledBufferWriter.MaxLength"/>.
    /// </summary>
    void Decompress(ReadOnlySpan<byte> source, PooledBufferWriter destination);
}
