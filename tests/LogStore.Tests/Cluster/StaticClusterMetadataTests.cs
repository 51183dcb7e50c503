using LogStore.Cluster.Metadata;
using LogStore.Cluster.Static;

namespace LogStore.Tests.Cluster;

/// <summary>The static mode: leaders from configuration, moved only by a manual election that bumps the epochs.</summary>
public sealed class StaticClusterMetadataTests
{
    private static StaticClusterMetadata TwoNodes() => new(
        [new NodeRegistration(1, 0, "a", 9092, false), new NodeRegistration(2, 0, "b", 9092, false)],
        [("orders", [[1, 2], [2, 1]], false)]);

    [Test]
    public void Configuration_LeadsEachPartitionWithItsFirstReplica()
    {
        var image = TwoNodes().Image;

        Assert.That(image.Topics["orders"].Partitions.Select(p => p.Leader), Is.EqualTo(new[] { 1, 2 }));
        Assert.That(image.GetPartition(new("orders", 0))!.Isr, Is.EqualTo(new[] { 1, 2 }));
    }

    [Test]
    public async Task ElectLeader_MovesTheLeader_BumpsEpochs_AndNotifies()
    {
        var metadata = TwoNodes();
        ClusterImage? notified = null;
        metadata.Changed += image => notified = image;

        var state = await metadata.ElectLeaderAsync(new("orders", 0), 2);

        Assert.That((state.Leader, state.LeaderEpoch, state.PartitionEpoch), Is.EqualTo((2, 1, 1)));
        Assert.That(notified?.GetPartition(new("orders", 0))?.Leader, Is.EqualTo(2));
        Assert.That(metadata.Image.GetPartition(new("orders", 1))!.LeaderEpoch, Is.EqualTo(0), "other partitions unchanged");
    }

    [Test]
    public void ElectLeader_OfANonReplicaOrUnknownPartition_IsRefused()
    {
        var metadata = TwoNodes();

        Assert.ThrowsAsync<IneligibleReplicaException>(async () => await metadata.ElectLeaderAsync(new("orders", 0), 3));
        Assert.ThrowsAsync<UnknownTopicException>(async () => await metadata.ElectLeaderAsync(new("orders", 5), null));
        Assert.That(metadata.Image.GetPartition(new("orders", 0))!.Leader, Is.EqualTo(1));
    }

    [Test]
    public void Configuration_WithAnUnknownReplica_IsRefused()
        => Assert.Throws<ArgumentException>(() => _ = new StaticClusterMetadata([new NodeRegistration(1, 0, "a", 1, false)], [("t", [[1, 2]], false)]));
}
