namespace LogStore;

/// <summary>Names one partition of one topic.</summary>
/// <param name="Topic">The topic's name.</param>
/// <param name="Partition">The partition's number, from 0.</param>
public readonly record struct TopicPartition(string Topic, int Partition)
{
    /// <summary>Kafka's spelling, <c>topic-partition</c>, which is also the partition's directory name.</summary>
    public override string ToString() => $"{Topic}-{Partition}";
}
