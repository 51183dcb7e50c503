using System.Diagnostics;
using LogStore.Cluster.Controller;
using LogStore.Cluster.Metadata;

namespace LogStore.Tests.Cluster;

/// <summary>Three Raft controllers on the in-memory transport: election, replication, failover, fencing, epochs and
/// recovery from the write-ahead log.</summary>
[NonParallelizable]
public sealed class QuorumControllerTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Test]
    public async Task ThreeControllers_ElectOneLeader_AndReplicateCommandsToEveryImage()
    {
        using var timeout = new CancellationTokenSource(Bound);
        await using var cluster = await ControllerCluster.StartAllAsync(timeout.Token);

        await cluster.RegisterNodesAsync(timeout.Token);
        await cluster.CreateTopicAsync("orders", 3, 3, timeout.Token);
        string image = await cluster.WaitForEqualImagesAsync(timeout.Token);

        Assert.That(cluster.Running.Count(c => c.IsActive), Is.EqualTo(1));
        var partitions = cluster[0]!.Image.Topics["orders"].Partitions;
        Assert.That(partitions.Select(p => p.Leader), Is.EqualTo(new[] { 1, 2, 3 }), image);
        Assert.That(partitions[1].Replicas, Is.EqualTo(new[] { 2, 3, 1 }), "round-robin placement");
        Assert.That(partitions.All(p => p.Isr.Count == 3 && p.LeaderEpoch == 0 && p.PartitionEpoch == 0), image);
        Assert.That(cluster[0]!.Image.Nodes.Values.All(n => !n.Fenced), image);
    }

    [Test]
    public async Task OverMutualTls_ControllersElectAndReplicate()
    {
        using var timeout = new CancellationTokenSource(Bound);
        await using var cluster = await ControllerCluster.StartAllAsync(timeout.Token, tls: true);

        await cluster.RegisterNodesAsync(timeout.Token);
        await cluster.CreateTopicAsync("secure", 1, 3, timeout.Token);
        await cluster.WaitForEqualImagesAsync(timeout.Token);

        Assert.That(cluster.Running.All(c => c.Image.Topics.ContainsKey("secure")), Is.True);
    }

    [Test]
    public async Task ActiveControllerStops_AnotherTakesOverWithinBound_WithTheStateIntact()
    {
        using var timeout = new CancellationTokenSource(Bound);
        await using var cluster = await ControllerCluster.StartAllAsync(timeout.Token);
        await cluster.RegisterNodesAsync(timeout.Token);
        await cluster.CreateTopicAsync("orders", 3, 3, timeout.Token);
        string before = await cluster.WaitForEqualImagesAsync(timeout.Token);
        var old = await cluster.WaitForActiveAsync(timeout.Token);

        var stopwatch = Stopwatch.StartNew();
        await cluster.StopAsync(cluster.IndexOf(old));
        var next = await cluster.WaitForActiveAsync(timeout.Token);
        var failover = stopwatch.Elapsed;
        TestContext.Out.WriteLine($"failover: {failover.TotalMilliseconds:F0} ms (election timeout 300-600 ms)");

        Assert.That(next.EndPoint, Is.Not.EqualTo(old.EndPoint));
        Assert.That(failover, Is.LessThan(TimeSpan.FromSeconds(10)), "a new controller within the bound");
        await cluster.WaitForEqualImagesAsync(timeout.Token);
        Assert.That(next.Image.Describe(), Is.EqualTo(before), "the survivors hold every committed entry");
        await cluster.CreateTopicAsync("after", 1, 3, timeout.Token);
        await cluster.WaitForEqualImagesAsync(timeout.Token);
        Assert.That(next.Image.Topics.ContainsKey("after"), Is.True, "two of three controllers still commit");
    }

    [Test]
    public async Task PartitionedActiveController_TheMajorityElectsAnother_AndTheMinorityCatchesUpAfterHealing()
    {
        using var timeout = new CancellationTokenSource(Bound);
        await using var cluster = await ControllerCluster.StartAllAsync(timeout.Token);
        await cluster.RegisterNodesAsync(timeout.Token);
        await cluster.CreateTopicAsync("before", 1, 3, timeout.Token);
        await cluster.WaitForEqualImagesAsync(timeout.Token);
        var old = await cluster.WaitForActiveAsync(timeout.Token);

        cluster.Network.Isolate(old.EndPoint);
        var majority = cluster.Running.Where(c => c != old).ToList();
        QuorumController next;
        while (true)
        {
            next = await ControllerCluster.WaitForActiveAmongAsync(majority, timeout.Token);
            try
            {
                await next.CreateTopicAsync("during", 1, 3, cancellationToken: timeout.Token);
                break;
            }
            catch (NotControllerException)
            {
            }
        }
        Assert.That(old.Image.Topics.ContainsKey("during"), Is.False, "the isolated controller cannot learn of it");
        Assert.ThrowsAsync<NotControllerException>(async () => await old.CreateTopicAsync("lost", 1, 1, cancellationToken: timeout.Token),
            "the isolated controller cannot commit");

        cluster.Network.Heal(old.EndPoint);
        string image = await cluster.WaitForEqualImagesAsync(timeout.Token);

        Assert.That(image, Does.Contain("topic during").And.Not.Contain("topic lost"));
        Assert.That(next.EndPoint, Is.Not.EqualTo(old.EndPoint));
    }

    [Test]
    public async Task SilentNode_IsFenced_AndItsLeadershipsMoveToIsrMembersOnly()
    {
        using var timeout = new CancellationTokenSource(Bound);
        await using var cluster = await ControllerCluster.StartAllAsync(timeout.Token);
        await cluster.RegisterNodesAsync(timeout.Token);
        await cluster.CreateTopicAsync("a", 3, 2, timeout.Token);
        await cluster.CreateTopicAsync("b", 1, 2, timeout.Token);
        // b-0 (replicas 1, 2, led by 1) shrinks its ISR to the leader alone: node 2 is out of sync there.
        await cluster.OnActiveAsync(c => c.AlterPartitionAsync(new TopicPartition("b", 0), 1, 0, 0, [1], timeout.Token), timeout.Token);

        // Nodes 2 and 3 heart-beat through a whole session timeout; node 1 is silent.
        cluster.Time.Advance(ControllerCluster.SessionTimeout / 2);
        await cluster.HeartbeatAsync(timeout.Token, 2, 3);
        cluster.Time.Advance(ControllerCluster.SessionTimeout / 2 + TimeSpan.FromMilliseconds(1));
        await cluster.HeartbeatAsync(timeout.Token, 2, 3);
        await cluster.OnActiveAsync(c => c.FenceExpiredNodesAsync(timeout.Token), timeout.Token);
        string text = await cluster.WaitForEqualImagesAsync(timeout.Token);

        var image = cluster.Running.First().Image;
        Assert.That(image.Nodes[1].Fenced, Is.True, text);
        Assert.That(image.Nodes[2].Fenced || image.Nodes[3].Fenced, Is.False, text);
        var a0 = image.GetPartition(new("a", 0))!;   // replicas 1, 2: node 2 was in sync, so it leads
        Assert.That((a0.Leader, a0.LeaderEpoch, a0.Isr), Is.EqualTo((2, 1, (IReadOnlyList<int>)[2])), text);
        var a2 = image.GetPartition(new("a", 2))!;   // replicas 3, 1: the leader stays, node 1 leaves the ISR
        Assert.That((a2.Leader, a2.LeaderEpoch, a2.Isr, a2.PartitionEpoch), Is.EqualTo((3, 0, (IReadOnlyList<int>)[3], 1)), text);
        var b0 = image.GetPartition(new("b", 0))!;   // node 2 is out of sync: no leader rather than lose records
        Assert.That((b0.Leader, b0.Isr), Is.EqualTo((PartitionRegistration.NoLeader, (IReadOnlyList<int>)[1])), text);
        Assert.ThrowsAsync<EligibleLeadersNotAvailableException>(
            () => cluster.OnActiveAsync(c => c.ElectLeaderAsync(new("b", 0), null, timeout.Token), timeout.Token));

        // Node 1 comes back: unfenced, it leads the partition whose ISR it alone is in.
        await cluster.HeartbeatAsync(timeout.Token, 1);
        await cluster.WaitForEqualImagesAsync(timeout.Token);
        var back = cluster.Running.First().Image;
        Assert.That(back.Nodes[1].Fenced, Is.False);
        Assert.That(back.GetPartition(new("b", 0))!.Leader, Is.EqualTo(1));
    }

    [Test]
    public async Task UncleanElection_OnlyWhenTheTopicAllowsIt()
    {
        using var timeout = new CancellationTokenSource(Bound);
        await using var cluster = await ControllerCluster.StartAllAsync(timeout.Token);
        await cluster.RegisterNodesAsync(timeout.Token);
        await cluster.CreateTopicAsync("clean", 1, 2, timeout.Token);
        await cluster.CreateTopicAsync("unclean", 1, 2, timeout.Token, uncleanLeaderElection: true);
        foreach (string topic in new[] { "clean", "unclean" })
            await cluster.OnActiveAsync(c => c.AlterPartitionAsync(new TopicPartition(topic, 0), 1, 0, 0, [1], timeout.Token), timeout.Token);
        cluster.Time.Advance(ControllerCluster.SessionTimeout / 2);
        await cluster.HeartbeatAsync(timeout.Token, 2, 3);
        cluster.Time.Advance(ControllerCluster.SessionTimeout / 2 + TimeSpan.FromMilliseconds(1));
        await cluster.HeartbeatAsync(timeout.Token, 2, 3);
        await cluster.OnActiveAsync(c => c.FenceExpiredNodesAsync(timeout.Token), timeout.Token);

        Assert.ThrowsAsync<EligibleLeadersNotAvailableException>(
            () => cluster.OnActiveAsync(c => c.ElectLeaderAsync(new("clean", 0), null, timeout.Token), timeout.Token));
        var elected = await cluster.OnActiveAsync(c => c.ElectLeaderAsync(new("unclean", 0), null, timeout.Token), timeout.Token);

        // Epoch 1 was the leaderless state the fencing made; the unclean election is epoch 2.
        Assert.That((elected.Leader, elected.Isr, elected.LeaderEpoch), Is.EqualTo((2, (IReadOnlyList<int>)[2], 2)));
        Assert.That(cluster.Running.First().Image.GetPartition(new("clean", 0))!.Leader, Is.EqualTo(PartitionRegistration.NoLeader));
    }

    [Test]
    public async Task AlterPartition_WithAStaleEpoch_IsRefused_AndChangesNothing()
    {
        using var timeout = new CancellationTokenSource(Bound);
        await using var cluster = await ControllerCluster.StartAllAsync(timeout.Token);
        await cluster.RegisterNodesAsync(timeout.Token);
        await cluster.CreateTopicAsync("t", 1, 3, timeout.Token);
        var tp = new TopicPartition("t", 0);
        var shrunk = await cluster.OnActiveAsync(c => c.AlterPartitionAsync(tp, 1, 0, 0, [1, 2], timeout.Token), timeout.Token);
        Assert.That((shrunk.Isr, shrunk.PartitionEpoch, shrunk.LeaderEpoch), Is.EqualTo(((IReadOnlyList<int>)[1, 2], 1, 0)));
        string before = await cluster.WaitForEqualImagesAsync(timeout.Token);

        Assert.ThrowsAsync<InvalidUpdateVersionException>(() => cluster.OnActiveAsync(c => c.AlterPartitionAsync(tp, 1, 0, 0, [1], timeout.Token), timeout.Token),
            "a stale partition epoch");
        Assert.ThrowsAsync<InvalidUpdateVersionException>(() => cluster.OnActiveAsync(c => c.AlterPartitionAsync(tp, 2, 0, 1, [2], timeout.Token), timeout.Token),
            "not the leader");
        Assert.ThrowsAsync<IneligibleReplicaException>(() => cluster.OnActiveAsync(c => c.AlterPartitionAsync(tp, 1, 0, 1, [1, 4], timeout.Token), timeout.Token),
            "not a replica");
        Assert.ThrowsAsync<StaleBrokerEpochException>(() => cluster.OnActiveAsync(c => c.HeartbeatAsync(1, 0, timeout.Token), timeout.Token));

        Assert.That(await cluster.WaitForEqualImagesAsync(timeout.Token), Is.EqualTo(before));
    }

    [TestCase(1024, TestName = "Restart_RecoversTheImageFromTheWriteAheadLog")]
    [TestCase(3, TestName = "Restart_RecoversTheImageFromSnapshotAndWriteAheadLog")]
    public async Task Restart_RecoversTheImage(long snapshotInterval)
    {
        using var timeout = new CancellationTokenSource(Bound);
        await using var cluster = await ControllerCluster.StartAllAsync(timeout.Token, snapshotInterval);
        await cluster.RegisterNodesAsync(timeout.Token);
        for (int i = 0; i < 4; i++)
            await cluster.CreateTopicAsync($"t{i}", 2, 2, timeout.Token);
        await cluster.OnActiveAsync(c => c.AlterPartitionAsync(new TopicPartition("t0", 0), 1, 0, 0, [1], timeout.Token), timeout.Token);
        string before = await cluster.WaitForEqualImagesAsync(timeout.Token);
        bool snapshotted = Directory.EnumerateFileSystemEntries(Path.Combine(cluster.DataDirectory(0), "snapshots")).Any();
        Assert.That(snapshotted, Is.EqualTo(snapshotInterval < 10), "a snapshot exactly when the interval was reached");

        for (int i = 0; i < ControllerCluster.Size; i++)
            await cluster.StopAsync(i);
        for (int i = 0; i < ControllerCluster.Size; i++)
            await cluster.StartAsync(i, timeout.Token);

        await cluster.WaitForActiveAsync(timeout.Token);
        await cluster.WaitForImageAsync(before, timeout.Token);
        Assert.That(cluster.Running.Select(c => c.Image.Describe()), Is.All.EqualTo(before));
    }
}
