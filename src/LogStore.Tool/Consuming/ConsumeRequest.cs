namespace LogStore.Tool.Consuming;

/// <summary>What <c>consume</c> was asked for; at most one of FromBeginning, Offset and Time is set (the parser checks).</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Group">The consumer group, or null for none.</param>
/// <param name="Partition">One partition, or null for all.</param>
/// <param name="FromBeginning">Start at the log start (with a group: where it has no committed offset).</param>
/// <param name="Offset">Start at this offset.</param>
/// <param name="Time">Start at the first record at or after this time.</param>
/// <param name="Max">Stop after this many records; null for no limit.</param>
/// <param name="TimeoutMs">How long to wait at the end of the log: 0 not at all, -1 forever.</param>
internal sealed record ConsumeRequest(string Topic, string? Group, int? Partition, bool FromBeginning, long? Offset,
    DateTimeOffset? Time, long? Max, int TimeoutMs)
{
    /// <summary>Partitions are assigned by hand (Kafka's assign()) when a partition or a start position is given, or
    /// there is no group; otherwise the group shares them out (subscribe()).</summary>
    public bool ManualAssignment => Group is null || Partition is not null || Offset is not null || Time is not null;
}
