namespace LogStore.Storage.Replication.Fetching;

/// <summary>
/// A partition handed to a fetcher (Kafka's <c>InitialFetchState</c>): this node's replica, which must already follow
/// the leader (<see cref="PartitionReplica.BecomeFollower"/>), and the leader epoch it follows in, sent with every
/// request so that a stale leader or a stale follower is fenced (KIP-320).
/// </summary>
/// <param name="Replica">The follower replica.</param>
/// <param name="LeaderEpoch">The leader epoch of the assignment.</param>
/// <param name="TopicId">The topic's id as the leader knows it; with it the fetch names topics by id (Fetch v13+), without
/// it (the zero id) by name (v12).</param>
internal readonly record struct InitialFetchState(PartitionReplica Replica, int LeaderEpoch, Guid TopicId = default);
