using LogStore.Storage;
using LogStore.Storage.Replication;

namespace LogStore.Tests.Cluster.Nodes;

/// <summary>
/// A node that crashed while creating a replica (its partition directory there, its <c>partition.metadata</c> not yet)
/// takes the controller's topic id when it comes back, and replicates; it never makes up an id of its own that would
/// refuse every image after.
/// </summary>
[TestFixture]
[CancelAfter(60_000)]
public class TopicIdRecoveryTests
{
    [Test]
    public async Task AReplicaWithoutItsTopicId_TakesTheControllers_AndFollowsAgain(CancellationToken cancellationToken)
    {
        await using var cluster = await BrokerCluster.StartAllAsync(cancellationToken);
        await cluster.WaitForAllAsync(image => image.Nodes.Count == BrokerCluster.Size, cancellationToken);
        Topic created = await cluster[0].CreateTopicAsync("orders", new TopicConfig { Partitions = 1, ReplicationFactor = 3 }, cancellationToken);
        var tp = new TopicPartition("orders", 0);
        await cluster.WaitForAllAsync(image => image.Topics.ContainsKey("orders"), cancellationToken);
        int follower = (cluster[0].Controller!.Image.GetPartition(tp)!.Leader + 1) % BrokerCluster.Size;
        string directory = cluster.Replica(follower, tp).Log.Directory;

        await cluster.StopAsync(follower);
        File.Delete(PartitionMetadataFile.PathOf(directory));
        await cluster.StartAsync(follower, cancellationToken);
        while (cluster.Replica(follower, tp).Role != ReplicaRole.Follower)
            await Task.Delay(10, cancellationToken);

        Assert.That(cluster[follower].TryGetTopic("orders", out Topic? topic), Is.True);
        Assert.That(topic!.TopicId, Is.EqualTo(created.TopicId));
        Assert.That(PartitionMetadataFile.Read(directory), Is.EqualTo(created.TopicId), "written back, for the next start");
    }
}
