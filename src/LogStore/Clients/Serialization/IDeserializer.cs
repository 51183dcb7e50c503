namespace LogStore;

/// <summary>Reads a key or value from the record's bytes.</summary>
public interface IDeserializer<T>
{
    /// <summary>Decodes <paramref name="data"/>; <paramref name="isNull"/> is true for a Kafka null.</summary>
    T Deserialize(ReadOnlySpan<byte> data, bool isNull);
}
