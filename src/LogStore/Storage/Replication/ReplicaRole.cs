namespace LogStore.Storage.Replication;

/// <summary>What this node is for one partition (Kafka's leader / follower, or neither while it is being assigned).</summary>
internal enum ReplicaRole
{
    /// <summary>Neither: no append is accepted, consumers still read below the high watermark.</summary>
    None,

    /// <summary>Takes producers' appends and stamps its leader epoch on them.</summary>
    Leader,

    /// <summary>Appends the leader's batches verbatim.</summary>
    Follower,
}
