using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace LogStore.Tool.Consuming;

/// <summary>
/// Prints consumed records as text or JSON lines. Keys, values and header values are decoded as UTF-8 (invalid bytes
/// become U+FFFD); a null key or value prints as <c>null</c>. Not thread-safe; one per command.
/// </summary>
internal sealed class RecordWriter(TextWriter output, OutputFormat format, string? keySeparator) : IDisposable
{
    // Non-ASCII text stays readable ("é", not "\u00E9"); the output is a terminal or a file, never embedded in HTML.
    private static readonly JsonWriterOptions s_options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly ArrayBufferWriter<byte> _json = new(1024);
    private Utf8JsonWriter? _writer;

    /// <summary>How many records were written.</summary>
    public long Written { get; private set; }

    public async ValueTask WriteAsync(ConsumeResult<byte[]?, byte[]?> result, CancellationToken cancellationToken)
    {
        string line = format == OutputFormat.Json ? ToJson(result) : ToText(result.Message);
        await output.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
        Written++;
    }

    private string ToText(Message<byte[]?, byte[]?> message) =>
        keySeparator is null ? Text(message.Value) : Text(message.Key) + keySeparator + Text(message.Value);

    private string ToJson(ConsumeResult<byte[]?, byte[]?> result)
    {
        _json.ResetWrittenCount();
        Utf8JsonWriter writer = _writer ??= new Utf8JsonWriter(_json, s_options);
        writer.Reset(_json);
        Message<byte[]?, byte[]?> message = result.Message;
        writer.WriteStartObject();
        writer.WriteString("topic", result.TopicPartition.Topic);
        writer.WriteNumber("partition", result.TopicPartition.Partition);
        writer.WriteNumber("offset", result.Offset);
        if (message.Timestamp is DateTimeOffset timestamp)
            writer.WriteNumber("timestamp", timestamp.ToUnixTimeMilliseconds());
        else
            writer.WriteNull("timestamp");
        WriteBytes(writer, "key", message.Key);
        WriteBytes(writer, "value", message.Value);
        writer.WriteStartArray("headers");
        if (message.Headers is { } headers)
        {
            foreach (Header header in headers)
            {
                writer.WriteStartObject();
                writer.WriteString("key", header.Key);
                WriteBytes(writer, "value", header.Value);
                writer.WriteEndObject();
            }
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
        return Encoding.UTF8.GetString(_json.WrittenSpan);
    }

    private static void WriteBytes(Utf8JsonWriter writer, string name, byte[]? bytes)
    {
        if (bytes is null)
            writer.WriteNull(name);
        else
            writer.WriteString(name, Encoding.UTF8.GetString(bytes));
    }

    private static string Text(byte[]? bytes) => bytes is null ? "null" : Encoding.UTF8.GetString(bytes);

    public void Dispose() => _writer?.Dispose();

    /// <summary>Kafka's summary line, on standard error.</summary>
    public static string Summary(long count) => string.Create(CultureInfo.InvariantCulture, $"Processed a total of {count} messages");
}
