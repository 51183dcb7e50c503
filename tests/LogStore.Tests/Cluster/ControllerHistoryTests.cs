using LogStore.Cluster.Metadata;
using LogStore.Cluster.Records;

namespace LogStore.Tests.Cluster;

/// <summary>Seeded random histories of controller commands, with a controller restarted on the way: every controller
/// ends with the same image, and the image written as snapshot records rebuilds itself.</summary>
[NonParallelizable]
public sealed class ControllerHistoryTests
{
    private const int Commands = 30;

    [TestCase(20261206)]
    [TestCase(7)]
    public async Task RandomHistory_LeavesTheSameImageOnEveryController(int seed)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        var random = new Random(seed);
        await using var cluster = await ControllerCluster.StartAllAsync(timeout.Token);
        await cluster.RegisterNodesAsync(timeout.Token);
        int topics = 0, refused = 0;
        int? stopped = null;
        try
        {
            for (int step = 0; step < Commands; step++)
            {
                if (step == Commands / 3 || step == 2 * Commands / 3)
                    stopped = await ToggleFollowerAsync(cluster, stopped, timeout.Token);
                try
                {
                    await RandomCommandAsync(cluster, random, topics, timeout.Token);
                    if (cluster.Running.First().Image.Topics.Count > topics)
                        topics++;
                }
                catch (LogStoreException e) when (e is not NotControllerException)
                {
                    refused++;   // a random request the controller refuses (a stale epoch, an ineligible leader)
                }
            }
            if (stopped is { } index)
                await cluster.StartAsync(index, timeout.Token);
            string image = await cluster.WaitForEqualImagesAsync(timeout.Token);

            var rebuilt = ClusterImage.Empty;
            foreach (var record in cluster[0]!.Image.ToRecords())
                rebuilt = rebuilt.Apply(record);
            Assert.That(rebuilt.Describe(), Is.EqualTo(image), $"seed {seed}: the snapshot records rebuild the image");
            Assert.That(cluster[0]!.Image.Topics, Is.Not.Empty, $"seed {seed}: the history created topics ({refused} refused)");
        }
        catch (OperationCanceledException e)
        {
            throw new TimeoutException($"seed {seed}: the history did not finish in time", e);
        }
    }

    private static async Task<int?> ToggleFollowerAsync(ControllerCluster cluster, int? stopped, CancellationToken cancellationToken)
    {
        if (stopped is { } index)
        {
            await cluster.StartAsync(index, cancellationToken);
            return null;
        }
        var active = await cluster.WaitForActiveAsync(cancellationToken);
        int follower = (cluster.IndexOf(active) + 1) % ControllerCluster.Size;
        await cluster.StopAsync(follower);
        return follower;
    }

    private static Task RandomCommandAsync(ControllerCluster cluster, Random random, int topics, CancellationToken cancellationToken)
    {
        int choice = topics == 0 ? 0 : random.Next(4);
        string topic = $"t{random.Next(Math.Max(topics, 1))}";
        int partition = random.Next(3);
        int node = 1 + random.Next(3);
        return choice switch
        {
            0 => cluster.OnActiveAsync(async c => await c.CreateTopicAsync($"t{topics}", 1 + random.Next(3), 1 + random.Next(3),
                random.Next(2) == 0, [("retention.ms", $"{random.Next(1000)}")], cancellationToken), cancellationToken),
            1 => cluster.OnActiveAsync(async c =>
            {
                // A leader's ISR change from the current state: drop or add one replica.
                var state = c.Image.GetPartition(new(topic, partition));
                if (state is null || state.Leader < 0)
                    return;
                int[] isr = state.IsInSync(node) ? [.. state.Isr.Where(n => n != node || n == state.Leader)] : [.. state.Isr, node];
                await c.AlterPartitionAsync(new(topic, partition), state.Leader, state.LeaderEpoch, state.PartitionEpoch, isr, cancellationToken);
            }, cancellationToken),
            2 => cluster.OnActiveAsync(async c => await c.ElectLeaderAsync(new(topic, partition), node, cancellationToken), cancellationToken),
            _ => cluster.HeartbeatAsync(cancellationToken, node),
        };
    }
}
