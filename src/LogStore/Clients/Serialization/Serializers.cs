using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace LogStore;

/// <summary>
/// The built-in serializers. A null reference key or value is written as a Kafka null by the producer and never
/// reaches a serializer. Every serializer is stateless and thread-safe and writes straight into the batch being built.
/// </summary>
public static class Serializers
{
    /// <summary>Writes a string as UTF-8 (Kafka's StringSerializer).</summary>
    public static ISerializer<string> Utf8 { get; } = new Utf8Serializer();

    /// <summary>Writes the bytes as they are (Kafka's ByteArraySerializer).</summary>
    public static ISerializer<byte[]> ByteArray { get; } = new ByteArraySerializer();

    /// <summary>Writes the bytes as they are, without requiring an array.</summary>
    public static ISerializer<ReadOnlyMemory<byte>> ReadOnlyMemory { get; } = new ReadOnlyMemorySerializer();

    /// <summary>Writes nothing: a <see cref="LogStore.Null"/> key or value is always a Kafka null.</summary>
    public static ISerializer<Null> Null { get; } = new NullSerializer();

    /// <summary>Writes a 32-bit integer as 4 big-endian bytes (Kafka's IntegerSerializer).</summary>
    public static ISerializer<int> Int32 { get; } = new Int32Serializer();

    /// <summary>Writes a 64-bit integer as 8 big-endian bytes (Kafka's LongSerializer).</summary>
    public static ISerializer<long> Int64 { get; } = new Int64Serializer();

    /// <summary>Writes <typeparamref name="T"/> as UTF-8 JSON with System.Text.Json.</summary>
    /// <param name="options">The serializer options; null for System.Text.Json's defaults.</param>
    public static ISerializer<T> Json<T>(JsonSerializerOptions? options = null) => new JsonSerializer<T>(options);

    private sealed class Utf8Serializer : ISerializer<string>
    {
        public void Serialize(string value, IBufferWriter<byte> output)
        {
            // Encoding.UTF8.GetBytes(string, IBufferWriter) sizes by the maximum count; asking for the exact count
            // keeps the batch's scratch space small for long strings.
            int length = Encoding.UTF8.GetByteCount(value);
            int written = Encoding.UTF8.GetBytes(value, output.GetSpan(length));
            output.Advance(written);
        }
    }

    private sealed class ByteArraySerializer : ISerializer<byte[]>
    {
        public void Serialize(byte[] value, IBufferWriter<byte> output) => output.Write(value);
    }

    private sealed class ReadOnlyMemorySerializer : ISerializer<ReadOnlyMemory<byte>>
    {
        public void Serialize(ReadOnlyMemory<byte> value, IBufferWriter<byte> output) => output.Write(value.Span);
    }

    private sealed class NullSerializer : ISerializer<Null>
    {
        public void Serialize(Null value, IBufferWriter<byte> output)
        {
        }
    }

    private sealed class Int32Serializer : ISerializer<int>
    {
        public void Serialize(int value, IBufferWriter<byte> output)
        {
            BinaryPrimitives.WriteInt32BigEndian(output.GetSpan(sizeof(int)), value);
            output.Advance(sizeof(int));
        }
    }

    private sealed class Int64Serializer : ISerializer<long>
    {
        public void Serialize(long value, IBufferWriter<byte> output)
        {
            BinaryPrimitives.WriteInt64BigEndian(output.GetSpan(sizeof(long)), value);
            output.Advance(sizeof(long));
        }
    }

    private sealed class JsonSerializer<T>(JsonSerializerOptions? options) : ISerializer<T>
    {
        // One writer per thread, reset onto each output: a Utf8JsonWriter per record would be the only allocation
        // on the produce path.
        [ThreadStatic]
        private static Utf8JsonWriter? t_writer;

        private readonly JsonWriterOptions _writerOptions = new()
        {
            Encoder = options?.Encoder,
            Indented = options?.WriteIndented ?? false,
            SkipValidation = true,
        };

        public void Serialize(T value, IBufferWriter<byte> output)
        {
            Utf8JsonWriter? writer = t_writer;
            if (writer is null || !SameOptions(writer.Options))
            {
                writer = new Utf8JsonWriter(output, _writerOptions);
                t_writer = writer;
            }
            else
            {
                writer.Reset(output);
            }
            try
            {
                JsonSerializer.Serialize(writer, value, options);
                writer.Flush();
            }
            finally
            {
                // Drop the reference to the batch's buffer so it is not kept alive by a thread-static.
                writer.Reset(Stream.Null);
            }
        }

        private bool SameOptions(JsonWriterOptions current) =>
            current.Indented == _writerOptions.Indented && ReferenceEquals(current.Encoder, _writerOptions.Encoder);
    }
}
