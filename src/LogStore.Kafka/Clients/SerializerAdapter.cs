using System.Buffers;
using Confluent.Kafka;

namespace LogStore.Kafka.Clients;

/// <summary>
/// A LogStore <see cref="ISerializer{T}"/> as Confluent's: the value is written into a per-thread buffer and copied out
/// once, since Confluent takes a byte array per key and value (one array per record is the price of its API). A null
/// reference becomes a Kafka null without calling the serializer, as in the embedded producer. Thread-safe when the
/// wrapped serializer is.
/// </summary>
internal sealed class SerializerAdapter<T>(LogStore.ISerializer<T> inner) : Confluent.Kafka.ISerializer<T>
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    public byte[] Serialize(T data, SerializationContext context)
    {
        if (data is null)
            return null!;
        ArrayBufferWriter<byte> buffer = t_buffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        inner.Serialize(data, buffer);
        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>A LogStore <see cref="IDeserializer{T}"/> as Confluent's: the same call on the same span.</summary>
internal sealed class DeserializerAdapter<T>(LogStore.IDeserializer<T> inner) : Confluent.Kafka.IDeserializer<T>
{
    public T Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) => inner.Deserialize(data, isNull);
}
