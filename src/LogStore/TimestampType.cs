namespace LogStore;

/// <summary>What a batch's timestamps mean (attributes bit 3).</summary>
public enum TimestampType
{
    /// <summary>Set by the producer when the record was created.</summary>
    CreateTime = 0,
    /// <summary>Set by the log when the batch was appended.</summary>
    LogAppendTime = 1,
}
