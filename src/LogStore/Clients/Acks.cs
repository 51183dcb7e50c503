namespace LogStore;

/// <summary>What a delivery waits for (Kafka's acks).</summary>
public enum Acks
{
    /// <summary>Nothing: the delivery completes when the record is batched.</summary>
    None = 0,
    /// <summary>The leader's append.</summary>
    Leader = 1,
    /// <summary>Every in-sync replica's append (and, with a flush policy, the fsync).</summary>
    All = -1,
}
