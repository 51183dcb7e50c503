using LogStore.Tests.TestSupport;
using LogStore.Tool.Tests.TestSupport;

namespace LogStore.Tool.Tests;

/// <summary><c>topics describe</c> after a leader stops: the running nodes' new leader and epoch over the network, and
/// the stopped node's directory read offline with its replica's leader epoch and checkpointed high watermark.</summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class TopicsDescribeFailoverTests
{
    [Test]
    public async Task AfterTheLeaderStops_DescribeShowsTheNewLeaderAndEpoch_AndTheOldLeadersDirectoryItsCheckpoints(CancellationToken cancellationToken)
    {
        using var data = new TempDirectory();
        await using LoopbackCluster cluster = await LoopbackCluster.StartAsync(data.Path, cancellationToken);
        await cluster.CreateTopicAsync("orders", partitions: 1, cancellationToken);
        await cluster.AppendAsync("orders", 0, 4, cancellationToken);
        int oldLeader = cluster.Leader("orders", 0).Leader!.Value;
        int survivor = (oldLeader + 1) % LoopbackCluster.Size;

        await cluster.StopAsync(oldLeader);
        // The controller fences the stopped node after its session timeout, elects another leader and shrinks the ISR.
        while (!(cluster[survivor].TryGetTopic("orders", out Topic? topic) && topic.Partitions[0].Leader is int l && l != oldLeader
                 && topic.Partitions[0].InSyncReplicas.Count == 2))
            await Task.Delay(20, cancellationToken);

        CliRun remote = await Cli.RunAsync("topics", "describe", "--bootstrap-server", cluster.BootstrapServer(survivor), "--topic", "orders");
        Assert.That(remote.ExitCode, Is.Zero, remote.ToString());
        Dictionary<string, string> row = TopicsDescribeRemoteTests.Partition(remote, 0);
        Assert.That(row["Leader"], Is.Not.EqualTo(oldLeader.ToString(System.Globalization.CultureInfo.InvariantCulture)), remote.ToString());
        Assert.That(row["LeaderEpoch"], Is.EqualTo("1"), remote.ToString());
        Assert.That(row["Isr"].Split(','), Has.Length.EqualTo(2).And.No.EqualTo(oldLeader.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(row["HighWatermark"], Is.EqualTo("4"), remote.ToString());

        CliRun offline = await Cli.RunAsync("topics", "describe", "--data", cluster.DataDirectory(oldLeader), "--topic", "orders");
        Assert.That(offline.ExitCode, Is.Zero, offline.ToString());
        Dictionary<string, string> local = TopicsDescribeRemoteTests.Columns(offline.OutLines[1]);
        Assert.That(local["LeaderEpoch"], Is.EqualTo("0"), offline.ToString());
        Assert.That(local["HighWatermarkCheckpoint"], Is.EqualTo("4"), offline.ToString());
        Assert.That(local["LogEndOffset"], Is.EqualTo("4"), offline.ToString());
    }
}
