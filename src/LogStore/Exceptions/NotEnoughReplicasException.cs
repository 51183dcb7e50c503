namespace LogStore;

/// <summary>
/// An <see cref="Acks.All"/> write was refused before anything was appended: fewer replicas are in sync than the topic's
/// <see cref="TopicConfig.MinInSyncReplicas"/> (Kafka's NOT_ENOUGH_REPLICAS, with KIP-966's strict rule). Nothing was
/// written; retry once the missing replicas have caught up, or write with fewer acks and accept less durability.
/// </summary>
public sealed class NotEnoughReplicasException : LogStoreException
{
    /// <summary>Creates the exception for <paramref name="partition"/>.</summary>
    public NotEnoughReplicasException(TopicPartition partition, int inSyncReplicas, int minInSyncReplicas)
        : base($"{partition} has {inSyncReplicas} in-sync replica(s), fewer than its min.insync.replicas of {minInSyncReplicas}; " +
            "nothing was appended. Retry once the followers have caught up.")
    {
        TopicPartition = partition;
        InSyncReplicas = inSyncReplicas;
        MinInSyncReplicas = minInSyncReplicas;
    }

    /// <summary>The partition written to.</summary>
    public TopicPartition TopicPartition { get; }

    /// <summary>How many replicas were in sync.</summary>
    public int InSyncReplicas { get; }

    /// <summary>The topic's <see cref="TopicConfig.MinInSyncReplicas"/>.</summary>
    public int MinInSyncReplicas { get; }
}
