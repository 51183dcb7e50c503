namespace LogStore;

/// <summary>
/// Kafka's default partitioner: a non-null key goes to <c>toPositive(murmur2(key)) % partitionCount</c>, so the same key
/// always lands in the same partition, the one a Java Kafka producer would choose. A null key is spread: the producer
/// sticks to one partition until that partition's batch is sealed, then picks another at random (Kafka's
/// StickyPartitionCache), which fills batches faster than round-robin. Called on its own, without a producer, a null key
/// gets a random partition. Stateless and thread-safe.
/// </summary>
public sealed class DefaultPartitioner : IPartitioner
{
    /// <summary>The shared instance.</summary>
    public static DefaultPartitioner Instance { get; } = new();

    /// <inheritdoc/>
    public int Partition(string topic, ReadOnlySpan<byte> keyBytes, bool keyIsNull, int partitionCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitionCount);
        return keyIsNull ? Random.Shared.Next(partitionCount) : Murmur2.Partition(keyBytes, partitionCount);
    }
}
