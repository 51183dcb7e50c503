namespace LogStore;

/// <summary>Where an appended batch landed.</summary>
/// <param name="BaseOffset">The offset given to the batch's first record.</param>
/// <param name="LastOffset">The offset given to its last record.</param>
/// <param name="LogAppendTime">The time the log stamped on the batch, when the batch uses <see cref="TimestampType.LogAppendTime"/>.</param>
/// <param name="LogStartOffset">The partition's first offset after the append.</param>
public readonly record struct AppendResult(long BaseOffset, long LastOffset, DateTimeOffset? LogAppendTime, long LogStartOffset);
