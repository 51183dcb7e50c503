using System.Buffers;

namespace LogStore;

/// <summary>Writes a key or value into the batch being built, without an intermediate byte array.</summary>
public interface ISerializer<T>
{
    /// <summary>Writes <paramref name="value"/> to <paramref name="output"/>. A null reference is written as a Kafka null by the producer, not passed here.</summary>
    void Serialize(T value, IBufferWriter<byte> output);
}
