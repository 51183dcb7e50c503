namespace LogStore;

/// <summary>Chooses the partition of a produced record.</summary>
public interface IPartitioner
{
    /// <summary>The partition, from 0 to <paramref name="partitionCount"/> - 1, for a record of <paramref name="topic"/>
    /// with the serialized key <paramref name="keyBytes"/> (<paramref name="keyIsNull"/> for a null key).</summary>
    int Partition(string topic, ReadOnlySpan<byte> keyBytes, bool keyIsNull, int partitionCount);
}
