namespace LogStore;

/// <summary>What happens to old segments (Kafka's cleanup.policy).</summary>
[Flags]
public enum CleanupPolicy
{
    /// <summary>Delete whole segments past the retention time or size.</summary>
    Delete = 1,
    /// <summary>Keep the latest record per key.</summary>
    Compact = 2,
    /// <summary>Both.</summary>
    CompactAndDelete = 3,
}
