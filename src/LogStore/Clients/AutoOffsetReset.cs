namespace LogStore;

/// <summary>Where a consumer starts when it has no valid committed offset (Kafka's auto.offset.reset).</summary>
public enum AutoOffsetReset
{
    /// <summary>At the log end: only new records.</summary>
    Latest,
    /// <summary>At the log start: everything retained.</summary>
    Earliest,
    /// <summary>Fail with <see cref="OffsetOutOfRangeException"/>.</summary>
    Error,
}
