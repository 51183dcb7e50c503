using System.Text;
using LogStore.Storage.Replication;
using LogStore.Tests.Clients.Producer;

namespace LogStore.Tests.Cluster.Nodes;

/// <summary>
/// The in-process producer of a node that does not lead a partition: its batches go to the leader as Produce requests,
/// follow a leader change, and come back with the leader's errors typed (issue 15).
/// </summary>
[TestFixture]
[CancelAfter(60_000)]
public class ForwardingProducerTests
{
    private const string TopicName = "orders";
    private static readonly TopicPartition Orders0 = new(TopicName, 0);

    [TestCase(Acks.All)]
    [TestCase(Acks.Leader)]
    public async Task AProducerOnAFollower_DeliversToTheLeader_OnceAndReplicated(Acks acks, CancellationToken cancellationToken)
    {
        await using BrokerCluster cluster = await StartWithTopicAsync(cancellationToken);
        int leader = LeaderOf(cluster);
        int follower = (leader + 1) % BrokerCluster.Size;
        const int Count = 300;

        await using (IProducer<Null, string> producer = cluster[follower].CreateProducer<Null, string>(new ProducerOptions { Acks = acks }))
        {
            var deliveries = new List<Task<DeliveryResult>>();
            for (int i = 0; i < Count; i++)
                deliveries.Add(producer.ProduceAsync(Orders0, new Message<Null, string> { Value = $"v{i}" }, cancellationToken).AsTask());
            DeliveryResult[] results = await Task.WhenAll(deliveries);
            Assert.That(results.Select(r => r.Offset), Is.EqualTo(Enumerable.Range(0, Count).Select(i => (long)i)),
                "every record delivered with the leader's offset, in the order produced");
        }

        if (acks == Acks.All)
            Assert.That(cluster.Replica(leader, Orders0).HighWatermark, Is.EqualTo(Count), "acks=all delivered only once the in-sync replicas held it");
        await WaitForHighWatermarkEverywhereAsync(cluster, Count, cancellationToken);
        for (int node = 0; node < BrokerCluster.Size; node++)
        {
            List<string> values = await ValuesAsync(cluster, node);
            Assert.That(values, Is.EqualTo(Enumerable.Range(0, Count).Select(i => $"v{i}")), $"node {node} holds every record once, in order");
        }
        Assert.That(cluster.Replica(follower, Orders0).Role, Is.EqualTo(ReplicaRole.Follower), "the producer's node never led the partition");
    }

    [TestCase(false, TestName = "{m}(the new leader is another node)")]
    [TestCase(true, TestName = "{m}(the new leader is the producer's node)")]
    public async Task WhenTheLeaderStopsMidStream_TheProducerFollowsTheNewLeader_WithNothingLostOrDuplicated(bool producersNodeLeadsNext,
        CancellationToken cancellationToken)
    {
        await using BrokerCluster cluster = await StartWithTopicAsync(cancellationToken);
        int leader = LeaderOf(cluster);
        // The controller elects the first in-sync replica in the replicas' order: the first survivor leads next.
        int[] survivors = [.. cluster[0].ClusterServices!.Publisher.Applied.GetPartition(Orders0)!.Replicas.Where(r => r != leader)];
        int producerNode = producersNodeLeadsNext ? survivors[0] : survivors[1];
        const int Before = 400;
        const int After = 400;

        var results = new List<DeliveryResult>();
        await using (IProducer<Null, string> producer = cluster[producerNode].CreateProducer<Null, string>(
            new ProducerOptions { Acks = Acks.All, RequestTimeout = TimeSpan.FromSeconds(5), DeliveryTimeout = TimeSpan.FromSeconds(40) }))
        {
            var first = new List<Task<DeliveryResult>>();
            for (int i = 0; i < Before; i++)
                first.Add(producer.ProduceAsync(Orders0, new Message<Null, string> { Value = $"v{i}" }, cancellationToken).AsTask());
            results.AddRange(await Task.WhenAll(first));

            // The leader goes; the image still names it until the controller fences it, so the next records go to
            // the stopped node first and must follow the leadership to whichever replica takes it.
            await cluster.StopAsync(leader);
            var second = new List<Task<DeliveryResult>>();
            for (int i = Before; i < Before + After; i++)
                second.Add(producer.ProduceAsync(Orders0, new Message<Null, string> { Value = $"v{i}" }, cancellationToken).AsTask());
            results.AddRange(await Task.WhenAll(second));
        }

        int newLeader = cluster.Running.First().ClusterServices!.Publisher.Applied.GetPartition(Orders0)!.Leader;
        TestContext.Out.WriteLine($"leader {leader} stopped; the producer on node {producerNode}; node {newLeader} leads now");
        Assert.That(newLeader, Is.EqualTo(survivors[0]), "the first surviving replica leads");
        List<string> values = await ValuesAsync(cluster, newLeader);
        Assert.Multiple(() =>
        {
            Assert.That(values, Is.EqualTo(Enumerable.Range(0, Before + After).Select(i => $"v{i}")),
                "the new leader holds every acknowledged record exactly once, in the order produced");
            Assert.That(results.Select(r => r.Offset), Is.EqualTo(Enumerable.Range(0, Before + After).Select(i => (long)i)),
                "each delivery names the record's offset in the log");
        });
    }

    [Test]
    public async Task WhenTheLeadershipMovesAwayFromTheProducersNode_TheProducerForwardsTheRest_InOrderAndOnce(CancellationToken cancellationToken)
    {
        await using BrokerCluster cluster = await StartWithTopicAsync(cancellationToken);
        int leader = LeaderOf(cluster);
        int next = (leader + 1) % BrokerCluster.Size;
        const int Wave = 300;

        var deliveries = new List<Task<DeliveryResult>>();
        await using (IProducer<Null, string> producer = cluster[leader].CreateProducer<Null, string>(new ProducerOptions { Acks = Acks.All }))
        {
            for (int i = 0; i < Wave; i++)
                deliveries.Add(producer.ProduceAsync(Orders0, new Message<Null, string> { Value = $"v{i}" }, cancellationToken).AsTask());
            await Task.WhenAll(deliveries);

            // Records on their way while the controller moves the leadership to another replica, then more after it.
            for (int i = Wave; i < 2 * Wave; i++)
                deliveries.Add(producer.ProduceAsync(Orders0, new Message<Null, string> { Value = $"v{i}" }, cancellationToken).AsTask());
            await ElectAsync(cluster, next, cancellationToken);
            await cluster.WaitForAllAsync(image => image.GetPartition(Orders0)!.Leader == next, cancellationToken);
            for (int i = 2 * Wave; i < 3 * Wave; i++)
                deliveries.Add(producer.ProduceAsync(Orders0, new Message<Null, string> { Value = $"v{i}" }, cancellationToken).AsTask());
            await Task.WhenAll(deliveries);
        }

        Assert.That(cluster.Replica(leader, Orders0).Role, Is.EqualTo(ReplicaRole.Follower), "the producer's node follows now");
        Assert.That(await ValuesAsync(cluster, next), Is.EqualTo(Enumerable.Range(0, 3 * Wave).Select(i => $"v{i}")),
            "the new leader holds every record once, in the order produced");
        Assert.That(deliveries.Select(d => d.Result.Offset), Is.EqualTo(Enumerable.Range(0, 3 * Wave).Select(i => (long)i)));
    }

    [Test]
    public async Task ALeadersRefusal_ReachesTheDeliveryReportTyped_AndTheNextRecordsStillGoIn(CancellationToken cancellationToken)
    {
        await using BrokerCluster cluster = await StartWithTopicAsync(cancellationToken);
        int leader = LeaderOf(cluster);
        int follower = (leader + 1) % BrokerCluster.Size;

        await using IProducer<Null, string> producer = cluster[follower].CreateProducer<Null, string>(new ProducerOptions { Acks = Acks.All });
        DeliveryResult before = await producer.ProduceAsync(Orders0, new Message<Null, string> { Value = "before" }, cancellationToken);
        // Two days ahead: past the topic's message.timestamp.after.max.ms (1 h), which only the leader's append checks.
        var refused = Assert.ThrowsAsync<InvalidTimestampException>(async () => await producer.ProduceAsync(Orders0,
            new Message<Null, string> { Value = "future", Timestamp = DateTimeOffset.UtcNow.AddDays(2) }, cancellationToken));
        DeliveryResult after = await producer.ProduceAsync(Orders0, new Message<Null, string> { Value = "after" }, cancellationToken);

        var reports = new List<DeliveryReport<Null, string>>();
        producer.Produce(Orders0, new Message<Null, string> { Value = "future", Timestamp = DateTimeOffset.UtcNow.AddDays(2) }, reports.Add);
        await producer.FlushAsync(cancellationToken);

        Assert.Multiple(async () =>
        {
            Assert.That(refused!.Message, Does.Contain("timestamp").IgnoreCase);
            Assert.That((before.Offset, after.Offset), Is.EqualTo((0L, 1L)), "the refused record's sequence was given to the next one");
            Assert.That(reports, Has.Count.EqualTo(1));
            Assert.That(reports[0].Error, Is.TypeOf<InvalidTimestampException>(), "the callback's report carries the typed error too");
            Assert.That(await ValuesAsync(cluster, leader), Is.EqualTo(new[] { "before", "after" }));
        });
    }

    private static async Task<BrokerCluster> StartWithTopicAsync(CancellationToken cancellationToken)
    {
        BrokerCluster cluster = await BrokerCluster.StartAllAsync(cancellationToken);
        await cluster.WaitForAllAsync(image => image.Nodes.Count == BrokerCluster.Size && image.Nodes.Values.All(n => !n.Fenced), cancellationToken);
        await cluster[0].CreateTopicAsync(TopicName, new TopicConfig { Partitions = 1, ReplicationFactor = 3 }, cancellationToken);
        // Every node applied the topic, and the leader sees the whole ISR.
        await cluster.WaitForAllAsync(image => image.GetPartition(Orders0) is { Isr.Count: 3 }, cancellationToken);
        return cluster;
    }

    /// <summary>Has the active controller make <paramref name="node"/> lead <see cref="Orders0"/> (a preferred-leader election).</summary>
    private static async Task ElectAsync(BrokerCluster cluster, int node, CancellationToken cancellationToken)
    {
        // Bounded by the fixture's CancelAfter: a controller is active again within an election timeout.
        while (true)
        {
            if (cluster.Running.Select(b => b.Controller).FirstOrDefault(c => c is { IsActive: true }) is { } active)
            {
                try
                {
                    await active.ElectLeaderAsync(Orders0, node, cancellationToken);
                    return;
                }
                catch (NotControllerException)
                {
                }
            }
            await Task.Delay(10, cancellationToken);
        }
    }

    private static int LeaderOf(BrokerCluster cluster) => cluster[0].ClusterServices!.Publisher.Applied.GetPartition(Orders0)!.Leader;

    private static async Task WaitForHighWatermarkEverywhereAsync(BrokerCluster cluster, long offset, CancellationToken cancellationToken)
    {
        // Bounded by the fixture's CancelAfter: the followers fetch the high watermark with their next fetch.
        for (int node = 0; node < BrokerCluster.Size; node++)
        {
            while (cluster.Replica(node, Orders0).HighWatermark < offset)
                await Task.Delay(10, cancellationToken);
        }
    }

    private static async Task<List<string>> ValuesAsync(BrokerCluster cluster, int node)
    {
        Assert.That(cluster[node].TryGetTopic(TopicName, out Topic? topic), Is.True);
        var (records, _, _) = await StoredRecords.ReadAll(topic!.Partitions[0]);
        return [.. records.Select(r => Encoding.UTF8.GetString(r.Value!))];
    }
}
