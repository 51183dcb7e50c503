using LogStore.Storage.Replication;

namespace LogStore.Cluster.Node;

/// <summary>What the metadata publisher asks of a node's replica fetchers: follow a leader for a partition from a
/// leader epoch on (truncating by epoch first), or stop. Thread-safe.</summary>
internal interface IFollowerFetchers : IAsyncDisposable
{
    /// <summary>Fetches <paramref name="replica"/> from node <paramref name="leaderId"/> in <paramref name="leaderEpoch"/>,
    /// replacing whatever it fetched before.</summary>
    void Follow(PartitionReplica replica, int leaderId, int leaderEpoch);

    /// <summary>Stops fetching <paramref name="replica"/> (it leads now, or nobody does); nothing if it was not fetched.</summary>
    void Unfollow(PartitionReplica replica);

    /// <summary>Stops the fetchers left without partitions (Kafka's shutdownIdleFetcherThreads, after each metadata
    /// change), so that following a leader again starts from a new connection rather than one its restart broke.</summary>
    ValueTask ShutdownIdleFetchersAsync() => ValueTask.CompletedTask;
}
