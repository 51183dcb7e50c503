using LogStore.Storage.Replication.Fetching;

namespace LogStore.Tests.Cluster.Nodes;

/// <summary>
/// After a leader change a node keeps no fetcher for a leader it no longer follows (Kafka's shutdownIdleFetcherThreads):
/// one kept idle held the connection the old leader's crash broke, and when that node led again the follower's first
/// request failed and waited the fetch backoff.
/// </summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class IdleFetcherTests
{
    [Test]
    public async Task AfterALeaderChange_TheFetcherForTheOldLeaderIsStopped(CancellationToken cancellationToken)
    {
        await using var cluster = await BrokerCluster.StartAllAsync(cancellationToken);
        await cluster.WaitForAllAsync(image => image.Nodes.Count == BrokerCluster.Size && image.Nodes.Values.All(n => !n.Fenced), cancellationToken);
        await cluster[0].CreateTopicAsync("orders", new TopicConfig { Partitions = 1, ReplicationFactor = 3 }, cancellationToken);
        var tp = new TopicPartition("orders", 0);
        await cluster.WaitForAllAsync(image => image.GetPartition(tp) is { Isr.Count: 3 }, cancellationToken);
        int leader = cluster[0].Controller!.Image.GetPartition(tp)!.Leader;

        await cluster.StopAsync(leader);
        await cluster.WaitForAllAsync(image => image.GetPartition(tp) is { } s && s.Leader != leader && s.Leader >= 0, cancellationToken);

        int next = cluster.Running.First().Controller!.Image.GetPartition(tp)!.Leader;
        foreach (Broker broker in cluster.Running)
        {
            var fetchers = (ReplicaFetcherManager)broker.ClusterServices!.Fetchers;
            int expected = broker.ClusterServices.NodeId == next ? 0 : 1;
            Assert.That(fetchers.FetcherCount, Is.EqualTo(expected), $"node {broker.ClusterServices.NodeId}'s fetchers");
        }
    }
}
