namespace LogStore;

/// <summary>
/// The special offsets that <see cref="IConsumer{TKey, TValue}.Assign"/>, <see cref="IConsumer{TKey, TValue}.Seek"/>
/// and <see cref="TopicPartitionOffset"/> accept besides a real offset (0 or more), with Confluent.Kafka's names and
/// values (its <c>Offset.Beginning</c>, <c>Offset.End</c>, <c>Offset.Stored</c>, <c>Offset.Unset</c>).
/// </summary>
public static class Offset
{
    /// <summary>The partition's log start: the oldest record still kept.</summary>
    public const long Beginning = -2;

    /// <summary>The partition's log end: only records produced from now on.</summary>
    public const long End = -1;

    /// <summary>The group's committed offset, or <see cref="ConsumerOptions.AutoOffsetReset"/> when there is none.</summary>
    public const long Stored = -1000;

    /// <summary>No offset given: the same as <see cref="Stored"/>.</summary>
    public const long Unset = -1001;
}
