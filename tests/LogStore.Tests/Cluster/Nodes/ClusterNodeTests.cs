using LogStore.Storage.Replication;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Cluster.Nodes;

[TestFixture]
[CancelAfter(60_000)]
public class ClusterNodeTests
{
    [Test]
    public async Task ATopicCreatedOnOneNode_IsHeldByEveryNode_WithTheControllersIdAndRoles(CancellationToken cancellationToken)
    {
        await using var cluster = await BrokerCluster.StartAllAsync(cancellationToken);
        await cluster.WaitForAllAsync(image => image.Nodes.Count == BrokerCluster.Size && image.Nodes.Values.All(n => !n.Fenced), cancellationToken);

        Topic created = await cluster[1].CreateTopicAsync("orders", new TopicConfig { Partitions = 3, ReplicationFactor = 3, SegmentBytes = 1 << 20 },
            cancellationToken);
        await cluster.WaitForAllAsync(image => image.Topics.ContainsKey("orders"), cancellationToken);

        var image = cluster[0].Controller!.Image;
        for (int node = 0; node < BrokerCluster.Size; node++)
        {
            Assert.That(cluster[node].TryGetTopic("orders", out Topic? topic), Is.True);
            Assert.That(topic!.TopicId, Is.EqualTo(created.TopicId));
            Assert.That(topic.Config.SegmentBytes, Is.EqualTo(1 << 20), "the settings travel with the topic");
            for (int p = 0; p < 3; p++)
            {
                var state = image.GetPartition(new TopicPartition("orders", p))!;
                PartitionReplica replica = topic.Partitions[p].Replica;
                Assert.That(replica.Role, Is.EqualTo(state.Leader == node ? ReplicaRole.Leader : ReplicaRole.Follower), $"node {node} partition {p}");
                Assert.That(replica.LeaderEpoch, Is.EqualTo(state.LeaderEpoch));
                if (state.Leader != node)
                    Assert.That(replica.LeaderId, Is.EqualTo(state.Leader));
            }
        }
    }

    [Test]
    public async Task AFollowersPartition_RefusesAppends_NamingTheLeader(CancellationToken cancellationToken)
    {
        await using var cluster = await BrokerCluster.StartAllAsync(cancellationToken);
        await cluster.WaitForAllAsync(image => image.Nodes.Count == BrokerCluster.Size, cancellationToken);
        await cluster[0].CreateTopicAsync("orders", new TopicConfig { Partitions = 1, ReplicationFactor = 3 }, cancellationToken);
        await cluster.WaitForAllAsync(image => image.Topics.ContainsKey("orders"), cancellationToken);
        var tp = new TopicPartition("orders", 0);
        int leader = cluster[0].Controller!.Image.GetPartition(tp)!.Leader;
        int follower = (leader + 1) % BrokerCluster.Size;

        cluster[follower].TryGetTopic("orders", out Topic? topic);
        var e = Assert.ThrowsAsync<NotLeaderException>(async () => await topic!.Partitions[0].AppendAsync(Batches.Batch(Batches.Make(0, 1)), cancellationToken));
        Assert.That(e!.LeaderId, Is.EqualTo(leader));
    }

    [Test]
    public async Task WhenTheLeaderStops_AnotherInSyncReplicaLeads_InANewEpoch(CancellationToken cancellationToken)
    {
        await using var cluster = await BrokerCluster.StartAllAsync(cancellationToken);
        await cluster.WaitForAllAsync(image => image.Nodes.Count == BrokerCluster.Size, cancellationToken);
        await cluster[0].CreateTopicAsync("orders", new TopicConfig { Partitions = 1, ReplicationFactor = 3 }, cancellationToken);
        var tp = new TopicPartition("orders", 0);
        await cluster.WaitForAllAsync(image => image.Topics.ContainsKey("orders"), cancellationToken);
        int leader = cluster[0].Controller!.Image.GetPartition(tp)!.Leader;

        await cluster.StopAsync(leader);
        await cluster.WaitForAllAsync(image => image.GetPartition(tp) is { } s && s.Leader != leader && s.Leader >= 0, cancellationToken);

        var state = cluster.Running.First().Controller!.Image.GetPartition(tp)!;
        Assert.That(state.LeaderEpoch, Is.EqualTo(1));
        Assert.That(cluster.Replica(state.Leader, tp).Role, Is.EqualTo(ReplicaRole.Leader));
        Assert.That(cluster.Replica(state.Leader, tp).LeaderEpoch, Is.EqualTo(1));
    }
    [Test]
    public async Task AFollowerLost_MakesTheLeadersPartitionUnderReplicated_InTheMeter(CancellationToken cancellationToken)
    {
        await using var cluster = await BrokerCluster.StartAllAsync(cancellationToken);
        await cluster.WaitForAllAsync(image => image.Nodes.Count == BrokerCluster.Size, cancellationToken);
        await cluster[0].CreateTopicAsync("metered", new TopicConfig { Partitions = 1, ReplicationFactor = 3 }, cancellationToken);
        var tp = new TopicPartition("metered", 0);
        await cluster.WaitForAllAsync(image => image.Topics.ContainsKey("metered"), cancellationToken);
        int leader = cluster[0].Controller!.Image.GetPartition(tp)!.Leader;
        using var meter = new Diagnostics.MeterCapture("metered");
        meter.Observe();
        Assert.That(meter.Sum("logstore.partitions.under_replicated"), Is.Zero, "every replica in sync");

        int follower = (leader + 1) % BrokerCluster.Size;
        await cluster.StopAsync(follower);
        // The controller fences the silent node after its session timeout and takes it out of the ISR.
        await cluster.WaitForAllAsync(image => image.GetPartition(tp)!.Isr.Count == 2, cancellationToken);
        while (cluster.Replica(leader, tp).InSyncReplicas.Count != 2)
            await Task.Delay(10, cancellationToken);

        meter.Observe();
        Assert.That(meter.Sum("logstore.partitions.under_replicated"), Is.EqualTo(1));
    }

    [Test]
    public async Task AFollowerTheControllerFenced_NoLongerHoldsBackTheHighWatermark(CancellationToken cancellationToken)
    {
        await using var cluster = await BrokerCluster.StartAllAsync(cancellationToken);
        await cluster.WaitForAllAsync(image => image.Nodes.Count == BrokerCluster.Size && image.Nodes.Values.All(n => !n.Fenced), cancellationToken);
        await cluster[0].CreateTopicAsync("fenced", new TopicConfig { Partitions = 1, ReplicationFactor = 3 }, cancellationToken);
        var tp = new TopicPartition("fenced", 0);
        await cluster.WaitForAllAsync(image => image.Topics.ContainsKey("fenced"), cancellationToken);
        int leader = cluster[0].Controller!.Image.GetPartition(tp)!.Leader;
        await cluster.StopAsync((leader + 1) % BrokerCluster.Size);
        await cluster.WaitForAllAsync(image => image.GetPartition(tp)!.Isr.Count == 2, cancellationToken);
        while (cluster.Replica(leader, tp).InSyncReplicas.Count != 2)
            await Task.Delay(10, cancellationToken);

        cluster[leader].TryGetTopic("fenced", out Topic? topic);
        await topic!.Partitions[0].AppendAsync(Batches.Batch(Batches.Make(0, 1)), cancellationToken);

        // The remaining follower fetches every few hundred ms; the stopped one was caught up when it died, and counted
        // as about to rejoin for the whole ReplicaLagTime (30 s) before the fix.
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(10));
        while (topic.Partitions[0].HighWatermark != 1 && !bound.IsCancellationRequested)
            await Task.Delay(10, CancellationToken.None);
        Assert.That(topic.Partitions[0].HighWatermark, Is.EqualTo(1), "committed by the two in-sync replicas");
    }
}
