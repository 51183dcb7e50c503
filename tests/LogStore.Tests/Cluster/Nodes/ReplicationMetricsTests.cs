using LogStore.Storage.Replication.Fetching;
using LogStore.Tests.Diagnostics;
using LogStore.Tests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace LogStore.Tests.Cluster.Nodes;

/// <summary>The replication instruments of the "LogStore" meter, measured on a three-node in-process cluster.</summary>
[TestFixture]
[CancelAfter(60_000)]
public class ReplicationMetricsTests
{
    private const int Backlog = 40;

    [Test]
    public async Task AFollowerFenced_CountsOneIsrShrink_OnTheLeader(CancellationToken cancellationToken)
    {
        await using var cluster = await BrokerCluster.StartAllAsync(cancellationToken);
        (TopicPartition tp, int leader) = await CreateReplicatedTopicAsync(cluster, "shrinks", cancellationToken);
        using var meter = new MeterCapture("shrinks");

        await cluster.StopAsync((leader + 1) % BrokerCluster.Size);
        await WaitForLeaderIsrAsync(cluster, leader, tp, 2, cancellationToken);

        Assert.That(meter.Of("logstore.isr.shrinks").Select(m => (m.Value, m.Partition)), Is.EqualTo(new[] { (1.0, 0) }));
        Assert.That(meter.Sum("logstore.isr.expands"), Is.Zero);
    }

    [Test]
    public async Task AFollowerCatchingUp_ShowsItsLag_ThenCountsOneIsrExpand(CancellationToken cancellationToken)
    {
        // One batch per fetch, and a slow link to the restarted follower: its catch-up takes many round trips. The stopped
        // follower, caught up when it stopped, holds the high watermark back for the replica lag time: a short one here.
        await using var cluster = await BrokerCluster.StartAllAsync(cancellationToken, OneBatchPerFetch, replicaLagTime: TimeSpan.FromSeconds(3));
        (TopicPartition tp, int leader) = await CreateReplicatedTopicAsync(cluster, "catch-up", cancellationToken);
        int follower = (leader + 1) % BrokerCluster.Size;
        await cluster.StopAsync(follower);
        await WaitForLeaderIsrAsync(cluster, leader, tp, 2, cancellationToken);
        Partition partition = await AppendBacklogAsync(cluster, leader, "catch-up", cancellationToken);
        using var meter = new MeterCapture("catch-up");
        meter.Observe();
        Assert.That(meter.Of("logstore.follower.lag").Where(m => m.Node == follower), Is.Empty, "a stopped node follows nothing");

        cluster.Network.Delay(BrokerCluster.Host(follower), TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(30));
        await cluster.StartAsync(follower, cancellationToken);
        double lag = 0;
        while (lag == 0)
        {
            await Task.Delay(5, cancellationToken);
            meter.Observe();
            lag = meter.Of("logstore.follower.lag").Where(m => m.Node == follower).Sum(m => m.Value);
        }
        Assert.That(lag, Is.InRange(1, Backlog - 1), "the leader's high watermark less the follower's log end after a fetch of one batch");
        Assert.That(meter.Sum("logstore.isr.expands"), Is.Zero, "not yet caught up");

        cluster.Network.ClearDelays();
        await WaitForLeaderIsrAsync(cluster, leader, tp, 3, cancellationToken);
        Assert.That(meter.Of("logstore.isr.expands").Select(m => (m.Value, m.Partition)), Is.EqualTo(new[] { (1.0, 0) }));
        meter.Observe();
        Assert.That(meter.Of("logstore.follower.lag").Where(m => m.Node == follower).Select(m => m.Value), Is.EqualTo(new[] { 0.0 }));
    }

    [Test]
    public async Task EachFollowerFetch_CountsItsBytes_AndItsFetchAndApplyTimes(CancellationToken cancellationToken)
    {
        await using var cluster = await BrokerCluster.StartAllAsync(cancellationToken);
        (TopicPartition tp, int leader) = await CreateReplicatedTopicAsync(cluster, "fetched", cancellationToken);
        using var meter = MeterCapture.ForNodes();

        Partition partition = await AppendBacklogAsync(cluster, leader, "fetched", cancellationToken);

        long logBytes = partition.Segments.Sum(s => s.SizeInBytes);
        foreach (int follower in Enumerable.Range(0, BrokerCluster.Size).Where(n => n != leader))
        {
            List<MeterCapture.Measured> fetched = [.. meter.Of("logstore.follower.fetched.bytes").Where(m => m.Node == follower)];
            Assert.That(fetched.Sum(m => m.Value), Is.EqualTo(logBytes), $"node {follower} fetched the whole log once");
            Assert.That(fetched.Select(m => m.Tags["logstore.leader.id"]).Distinct(), Is.EqualTo(new object[] { leader }));
            Assert.That(meter.Of("logstore.follower.fetch.duration").Count(m => m.Node == follower), Is.EqualTo(fetched.Count), "one per fetch");
            double[] applied = [.. meter.Of("logstore.follower.apply.duration").Where(m => m.Node == follower).Select(m => m.Value)];
            Assert.That(applied, Has.Length.EqualTo(fetched.Count).And.All.GreaterThanOrEqualTo(0));
        }
        Assert.That(meter.Of("logstore.follower.fetched.bytes").Where(m => m.Node == leader), Is.Empty, "the leader fetches nothing");
    }

    [Test]
    public async Task TheControllerGauges_NameOneActiveController_AndTheMetadataOffsetAndEpoch(CancellationToken cancellationToken)
    {
        await using var cluster = await BrokerCluster.StartAllAsync(cancellationToken);
        await cluster.WaitForAllAsync(image => image.Nodes.Count == BrokerCluster.Size, cancellationToken);
        while (!cluster.Running.Any(b => b.Controller!.IsActive))
            await Task.Delay(10, cancellationToken);
        int active = Enumerable.Range(0, BrokerCluster.Size).Single(n => cluster[n].Controller!.IsActive);
        using var meter = MeterCapture.ForNodes();

        meter.Observe();

        var nodes = Enumerable.Range(0, BrokerCluster.Size).ToArray();
        Assert.That(meter.Of("logstore.controller.active").OrderBy(m => m.Node).Select(m => (m.Node, m.Value)),
            Is.EqualTo(nodes.Select(n => (n, n == active ? 1.0 : 0.0))));
        Assert.That(meter.Of("logstore.controller.metadata.offset").OrderBy(m => m.Node).Select(m => m.Node), Is.EqualTo(nodes));
        Assert.That(meter.Of("logstore.controller.metadata.offset").Single(m => m.Node == active).Value,
            Is.GreaterThan(0).And.LessThanOrEqualTo(cluster[active].Controller!.Image.Offset), "three registrations at least");
        Assert.That(meter.Of("logstore.controller.epoch").Select(m => m.Value), Has.All.EqualTo((double)cluster[active].Controller!.Term).And.All.GreaterThan(0));
    }

    private static async Task<(TopicPartition Partition, int Leader)> CreateReplicatedTopicAsync(BrokerCluster cluster, string name,
        CancellationToken cancellationToken)
    {
        await cluster.WaitForAllAsync(image => image.Nodes.Count == BrokerCluster.Size && image.Nodes.Values.All(n => !n.Fenced), cancellationToken);
        await cluster[0].CreateTopicAsync(name, new TopicConfig { Partitions = 1, ReplicationFactor = 3 }, cancellationToken);
        await cluster.WaitForAllAsync(image => image.Topics.ContainsKey(name), cancellationToken);
        var tp = new TopicPartition(name, 0);
        return (tp, cluster[0].Controller!.Image.GetPartition(tp)!.Leader);
    }

    /// <summary>Appends <see cref="Backlog"/> one-record batches on the leader and waits for the high watermark to pass
    /// them: only once the in-sync followers fetched them all and reported it in their next fetch.</summary>
    private static async Task<Partition> AppendBacklogAsync(BrokerCluster cluster, int leader, string topic, CancellationToken cancellationToken)
    {
        Assert.That(cluster[leader].TryGetTopic(topic, out Topic? found), Is.True);
        Partition partition = found!.Partitions[0];
        for (int i = 0; i < Backlog; i++)
            await partition.AppendAsync(Batches.Batch(Batches.Make(i, 1)), cancellationToken);
        while (partition.HighWatermark != Backlog)
            await Task.Delay(10, cancellationToken);
        return partition;
    }

    /// <summary>Waits until the controller committed an ISR of <paramref name="size"/> and the leader applied it.</summary>
    private static async Task WaitForLeaderIsrAsync(BrokerCluster cluster, int leader, TopicPartition tp, int size, CancellationToken cancellationToken)
    {
        await cluster.WaitForAllAsync(image => image.GetPartition(tp)!.Isr.Count == size, cancellationToken);
        while (cluster.Replica(leader, tp).InSyncReplicas.Count != size)
            await Task.Delay(10, cancellationToken);
    }

    private static ReplicaFetcherManager OneBatchPerFetch(BrokerCluster cluster, int node, Broker broker) =>
        new(new ReplicaFetcherOptions { NodeId = node, MaxBytesPerPartition = 1, Backoff = TimeSpan.FromMilliseconds(50) },
            id => cluster.Nodes[id].Endpoint, cluster.Network.For(cluster.Nodes[node].Endpoint), TimeProvider.System, NullLogger.Instance);
}
