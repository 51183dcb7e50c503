using LogStore.Protocol;
using LogStore.Storage.Replication;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Cluster.Simulation;

/// <summary>
/// A node restarted after losing its log's tail must not act on the image an earlier incarnation knew: until the
/// controller has its new registration it leads nothing (found by the simulation, seeds 100053 and 107511: the leader,
/// cut off and powered off, came back empty, led from the old image, acknowledged writes at offsets the followers held
/// acknowledged, and had them truncate to it).
/// </summary>
[TestFixture]
[NonParallelizable]
public class RestartBeforeRegistrationTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Test]
    [CancelAfter(120_000)]
    public async Task ALeaderRestartedWhileCutOffFromTheController_LeadsNothing_UntilItHasRegisteredAgain(CancellationToken cancellationToken)
    {
        await using var cluster = new SimulatedCluster(flushBeforeAcknowledge: false, seed: 1);
        for (int node = 0; node < SimulatedCluster.Size; node++)
            await cluster.StartAsync(node, cancellationToken);
        await UntilAsync(cluster, () => cluster.Controller.Image.Nodes.Count == SimulatedCluster.Size, cancellationToken);
        await cluster[0].CreateTopicAsync(SimulatedCluster.Topic, new TopicConfig { Partitions = 1, ReplicationFactor = 3, MinInSyncReplicas = 2 }, cancellationToken);
        var tp = new TopicPartition(SimulatedCluster.Topic, 0);
        int leader = cluster.Controller.Image.GetPartition(tp)!.Leader;
        await using (var connection = await cluster.ConnectAsync(leader, cancellationToken))
        {
            Task<ProduceResponse.PartitionResponse> produce = SimulatedCluster.ProduceAsync(connection, Batches.Make(0, 5), cancellationToken);
            await UntilAsync(cluster, () => produce.IsCompleted, cancellationToken);
            Assert.That((await produce).ErrorCode, Is.EqualTo(ErrorCode.None), "acknowledged by all three");
        }

        cluster.Controller.SetCutOff(leader, true);
        await cluster.FailAsync(leader, NodeFailure.PowerLoss, new Random(1));
        await cluster.StartAsync(leader, cancellationToken);
        for (int tick = 0; tick < 100; tick++)
            await cluster.TickAsync(null, cancellationToken);

        Assert.That(cluster.Controller.Image.GetPartition(tp)!.Leader, Is.EqualTo(leader), "the controller's image still names it");
        Assert.That(Role(cluster, leader), Is.Not.EqualTo(ReplicaRole.Leader), "it must not lead from an image older than its registration");

        cluster.Controller.SetCutOff(leader, false);
        await UntilAsync(cluster, () => cluster.Controller.Image.Nodes[leader].NodeEpoch > 0 && Role(cluster, leader) is ReplicaRole.Follower or ReplicaRole.Leader, cancellationToken);
    }

    private static ReplicaRole? Role(SimulatedCluster cluster, int node) =>
        cluster[node].TryGetTopic(SimulatedCluster.Topic, out Topic? topic) ? topic.Partitions[0].Replica.Role : null;

    private static async Task UntilAsync(SimulatedCluster cluster, Func<bool> done, CancellationToken cancellationToken) =>
        Assert.That(await cluster.TickUntilAsync(done, Bound, cancellationToken), Is.True, $"not reached within {Bound.TotalSeconds} s\n{cluster.Log.Tail()}");
}
