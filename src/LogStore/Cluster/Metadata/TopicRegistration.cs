using System.Collections.Immutable;

namespace LogStore.Cluster.Metadata;

/// <summary>One topic as the controller knows it: its name, id, whether an out-of-sync replica may be elected when no
/// in-sync one is alive (Kafka's unclean.leader.election.enable, off by default), its partitions by index and its
/// settings by Kafka's names (what each node creates its replicas with). Immutable.</summary>
internal sealed record TopicRegistration(string Name, Guid TopicId, bool UncleanLeaderElection, ImmutableArray<PartitionRegistration> Partitions)
{
    public ImmutableSortedDictionary<string, string> Configs { get; init; } = ImmutableSortedDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal);

    public TopicRegistration WithPartition(int partition, PartitionRegistration state)
        => this with { Partitions = Partitions.SetItem(partition, state) };
}
