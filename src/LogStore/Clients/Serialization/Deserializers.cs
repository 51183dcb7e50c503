using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace LogStore;

/// <summary>
/// The built-in deserializers, the counterparts of <see cref="Serializers"/>. A Kafka null becomes the null reference
/// (or <c>default</c> for <see cref="ReadOnlyMemory"/>); a null for <see cref="Int32"/> or <see cref="Int64"/>, and
/// bytes of the wrong length, throw <see cref="CorruptRecordException"/>. Stateless and thread-safe.
/// </summary>
public static class Deserializers
{
    /// <summary>Reads UTF-8 as a string (Kafka's StringDeserializer).</summary>
    public static IDeserializer<string> Utf8 { get; } = new Utf8Deserializer();

    /// <summary>Copies the bytes into a new array (Kafka's ByteArrayDeserializer).</summary>
    public static IDeserializer<byte[]> ByteArray { get; } = new ByteArrayDeserializer();

    /// <summary>
    /// The bytes as memory; a Kafka null is an empty <see cref="ReadOnlyMemory{T}"/>. A consumer given this deserializer
    /// hands out views of the fetched bytes instead of copies (as Kafka's ByteBufferDeserializer), valid for as long as
    /// they are referenced. Holding one keeps its whole fetch buffer alive (64 KiB, or the one batch it holds when
    /// larger); copy it (<c>ToArray</c>) to keep a few records long. Where a partition's records average 512 bytes or
    /// more, copying each key and value is the faster way, and the consumer does that instead. Called directly, it
    /// copies.
    /// </summary>
    public static IDeserializer<ReadOnlyMemory<byte>> ReadOnlyMemory { get; } = new ReadOnlyMemoryDeserializer();

    /// <summary>Ignores the bytes and returns null.</summary>
    public static IDeserializer<Null> Null { get; } = new NullDeserializer();

    /// <summary>Reads 4 big-endian bytes (Kafka's IntegerDeserializer).</summary>
    public static IDeserializer<int> Int32 { get; } = new Int32Deserializer();

    /// <summary>Reads 8 big-endian bytes (Kafka's LongDeserializer).</summary>
    public static IDeserializer<long> Int64 { get; } = new Int64Deserializer();

    /// <summary>Reads UTF-8 JSON as <typeparamref name="T"/> with System.Text.Json; a Kafka null is <c>default</c>.</summary>
    /// <param name="options">The serializer options; null for System.Text.Json's defaults.</param>
    public static IDeserializer<T> Json<T>(JsonSerializerOptions? options = null) => new JsonDeserializer<T>(options);

    /// <summary>Whether <paramref name="deserializer"/> is a built-in one that accepts any bytes.</summary>
    internal static bool NeverThrows(object deserializer) =>
        deserializer is Utf8Deserializer or ByteArrayDeserializer or ReadOnlyMemoryDeserializer or NullDeserializer;

    private sealed class Utf8Deserializer : IDeserializer<string>
    {
        public string Deserialize(ReadOnlySpan<byte> data, bool isNull) => isNull ? null! : Encoding.UTF8.GetString(data);
    }

    private sealed class ByteArrayDeserializer : IDeserializer<byte[]>
    {
        public byte[] Deserialize(ReadOnlySpan<byte> data, bool isNull) => isNull ? null! : data.ToArray();
    }

    private sealed class ReadOnlyMemoryDeserializer : IDeserializer<ReadOnlyMemory<byte>>
    {
        public ReadOnlyMemory<byte> Deserialize(ReadOnlySpan<byte> data, bool isNull) =>
            isNull ? default : data.ToArray();
    }

    private sealed class NullDeserializer : IDeserializer<Null>
    {
        public Null Deserialize(ReadOnlySpan<byte> data, bool isNull) => null!;
    }

    private sealed class Int32Deserializer : IDeserializer<int>
    {
        public int Deserialize(ReadOnlySpan<byte> data, bool isNull)
        {
            if (isNull || data.Length != sizeof(int))
            {
                throw WrongSize(isNull ? -1 : data.Length, sizeof(int), "Int32");
            }
            return BinaryPrimitives.ReadInt32BigEndian(data);
        }
    }

    private sealed class Int64Deserializer : IDeserializer<long>
    {
        public long Deserialize(ReadOnlySpan<byte> data, bool isNull)
        {
            if (isNull || data.Length != sizeof(long))
            {
                throw WrongSize(isNull ? -1 : data.Length, sizeof(long), "Int64");
            }
            return BinaryPrimitives.ReadInt64BigEndian(data);
        }
    }

    private sealed class JsonDeserializer<T>(JsonSerializerOptions? options) : IDeserializer<T>
    {
        public T Deserialize(ReadOnlySpan<byte> data, bool isNull) =>
            isNull ? default! : JsonSerializer.Deserialize<T>(data, options)!;
    }

    private static CorruptRecordException WrongSize(int actual, int expected, string name) =>
        new(actual < 0
            ? $"A null key or value cannot be deserialized as {name}; use a nullable type with its own deserializer."
            : $"{name} needs exactly {expected} bytes but the record has {actual}.");
}
