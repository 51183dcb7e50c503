using LogStore.Cluster.Metadata;
using LogStore.Cluster.Records;

namespace LogStore.Tests.Cluster;

/// <summary>The controller's election and fencing rules as pure functions of an image.</summary>
public sealed class PartitionChangeBuilderTests
{
    private static readonly Guid Id = Guid.NewGuid();

    // Nodes 1..3 registered, node 1 fenced; one topic whose partition 0 has replicas 1, 2, 3, led by 1, ISR {1, 2}.
    private static (ClusterImage Image, PartitionRegistration State) Setup(bool fenceOne = true)
    {
        var image = ClusterImage.Empty;
        for (int n = 1; n <= 3; n++)
            image = image.Apply(new RegisterNodeRecord(n, 1, "h", 1));
        if (fenceOne)
            image = image.Apply(new FenceNodeRecord(1, 1));
        image = image.Apply(new TopicRecord("t", Id, false)).Apply(new PartitionRecord(Id, 0, [1, 2, 3], 1, 0, [1, 2], 0));
        return (image, image.GetPartition(new("t", 0))!);
    }

    [Test]
    public void Elect_PicksTheFirstLiveIsrMember_NeverAnOutOfSyncOne()
    {
        var (image, state) = Setup();

        Assert.That(PartitionChangeBuilder.Elect(image, state, null, allowUnclean: true, minIsr: 1)?.Leader, Is.EqualTo(2));
        Assert.That(PartitionChangeBuilder.Elect(image, state, 3, allowUnclean: false, minIsr: 1), Is.Null, "3 is out of sync");
        Assert.That(PartitionChangeBuilder.Elect(image, state, 3, allowUnclean: true, minIsr: 1), Is.Null, "unclean only when no ISR member lives");
    }

    [Test]
    public void Elect_Unclean_OnlyWithoutALiveIsrMember()
    {
        var (image, state) = Setup();
        image = image.Apply(new FenceNodeRecord(2, 1));

        Assert.That(PartitionChangeBuilder.Elect(image, state, null, allowUnclean: false, minIsr: 1), Is.Null);
        var unclean = PartitionChangeBuilder.Elect(image, state, null, allowUnclean: true, minIsr: 1);
        Assert.That((unclean?.Leader, unclean?.Isr), Is.EqualTo(((int?)3, (int[]?)[3])));
    }

    [Test]
    public void OnFenced_MovesLeadershipWithinTheIsr_AndBumpsEpochsWhenApplied()
    {
        var (image, state) = Setup();

        var change = PartitionChangeBuilder.OnFenced(image, state, 1, minIsr: 1);
        var next = image.Apply(new PartitionChangeRecord(Id, 0, change!.Value.Leader, change.Value.Isr)).GetPartition(new("t", 0))!;

        Assert.That((next.Leader, next.Isr, next.LeaderEpoch, next.PartitionEpoch), Is.EqualTo((2, (IReadOnlyList<int>)[2], 1, 1)));
        Assert.That(PartitionChangeBuilder.OnFenced(image, state, 3, minIsr: 1), Is.Null, "an out-of-sync follower's fencing changes nothing");
    }

    [Test]
    public void PlaceReplicas_IsRoundRobin()
    {
        int[] nodes = [1, 2, 3];

        Assert.That(Enumerable.Range(0, 4).Select(p => PartitionChangeBuilder.PlaceReplicas(nodes, p, 2)),
            Is.EqualTo(new[] { new[] { 1, 2 }, [2, 3], [3, 1], [1, 2] }));
    }
}
