namespace LogStore.Tool.Consuming;

/// <summary>How <c>consume</c> prints records.</summary>
internal enum OutputFormat
{
    /// <summary>Each value on its own line (kafka-console-consumer's default), optionally preceded by the key.</summary>
    Text,

    /// <summary>One JSON object per line: topic, partition, offset, timestamp, key, value, headers.</summary>
    Json,
}
