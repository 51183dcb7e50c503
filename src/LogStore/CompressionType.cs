namespace LogStore;

/// <summary>How a batch's records are compressed; the values are Kafka's codec ids (attributes bits 0–2).</summary>
public enum CompressionType
{
    /// <summary>Not compressed.</summary>
    None = 0,
    /// <summary>gzip (RFC 1952).</summary>
    Gzip = 1,
    /// <summary>Snappy in Kafka's xerial framing.</summary>
    Snappy = 2,
    /// <summary>LZ4 frame format.</summary>
    Lz4 = 3,
    /// <summary>Zstandard.</summary>
    Zstd = 4,
}
