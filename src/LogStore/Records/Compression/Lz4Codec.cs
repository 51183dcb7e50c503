using K4os.Compression.LZ4;
using K4os.Compression.LZ4.Streams;

namespace LogStore.Records.Compression;

/// <summary>
/// Kafka codec 3: the LZ4 frame format (magic 0x184D2204), as Kafka's KafkaLZ4BlockOutputStream writes it
/// for magic 2: 64 KiB independent blocks, no block or content checksum, no content size. Reading accepts
/// any valid LZ4 frame (checksums, content size, linked blocks). Stateless and thread-safe.
/// </summary>
internal sealed class Lz4Codec : ICompressionCodec
{
    private static readonly LZ4EncoderSettings s_settings = new()
    {
        BlockSize = 64 * 1024,
        ChainBlocks = false,
        BlockChecksum = false,
        ContentChecksum = false,
        CompressionLevel = LZ4Level.L00_FAST,
    };

    /// <inheritdoc/>
    public CompressionType Type => CompressionType.Lz4;

    /// <inheritdoc/>
    public void Compress(ReadOnlySpan<byte> source, PooledBufferWriter destination) =>
        LZ4Frame.Encode(source, destination, s_settings);

    /// <inheritdoc/>
    public void Decompress(ReadOnlySpan<byte> source, PooledBufferWriter destination) =>
        LZ4Frame.Decode(source, destination, 0);
}
