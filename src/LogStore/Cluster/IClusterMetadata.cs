using LogStore.Cluster.Metadata;

namespace LogStore.Cluster;

/// <summary>
/// What a broker asks of the cluster's metadata, whoever keeps it: the current image (leaders, epochs, ISRs), a
/// notification when it changes, and a manual leader election. The Raft controller
/// (<see cref="Controller.QuorumController"/>) and the static one (<see cref="Static.StaticClusterMetadata"/>, fixed
/// leaders for two-node setups) both implement it. Thread-safe.
/// </summary>
internal interface IClusterMetadata
{
    /// <summary>The latest image this node applied.</summary>
    ClusterImage Image { get; }

    /// <summary>Raised after each change of <see cref="Image"/>, with the new image, on the thread that applied it;
    /// handlers must be quick and must not throw.</summary>
    event Action<ClusterImage>? Changed;

    /// <summary>Elects a leader for <paramref name="partition"/>: <paramref name="preferredLeader"/> if given and
    /// eligible, else the first eligible replica; returns the partition's new state.</summary>
    /// <exception cref="UnknownTopicException">No such topic or partition.</exception>
    /// <exception cref="EligibleLeadersNotAvailableException">Nobody can lead it.</exception>
    ValueTask<PartitionRegistration> ElectLeaderAsync(TopicPartition partition, int? preferredLeader, CancellationToken cancellationToken = default);
}
