using System.Globalization;
using LogStore.Tests.TestSupport;
using LogStore.Tool.Tests.TestSupport;

namespace LogStore.Tool.Tests;

/// <summary><c>topics describe --bootstrap-server</c> against three in-process nodes on loopback, started once for the
/// fixture: orders-0 holds 5 records, orders-1 3 records with the first 2 deleted.</summary>
[TestFixture]
public sealed class TopicsDescribeRemoteTests : ToolTestBase
{
    private readonly TempDirectory _data = new();
    private LoopbackCluster _cluster = null!;

    [OneTimeSetUp]
    public async Task StartCluster()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        _cluster = await LoopbackCluster.StartAsync(_data.Path, timeout.Token);
        await _cluster.CreateTopicAsync("orders", partitions: 2, timeout.Token);
        await _cluster.AppendAsync("orders", 0, 5, timeout.Token);
        await _cluster.AppendAsync("orders", 1, 3, timeout.Token);
        Partition leader = _cluster.Leader("orders", 1);
        await _cluster[leader.Leader!.Value].DeleteRecordsAsync(leader.Id, 2, timeout.Token);
    }

    [OneTimeTearDown]
    public async Task StopCluster()
    {
        await _cluster.DisposeAsync();
        _data.Dispose();
    }

    [Test]
    public async Task Describe_PrintsTheTopicLine_AndOneLinePerPartition()
    {
        CliRun run = await DescribeAsync(0, "orders");

        Assert.That(run.OutLines, Has.Length.EqualTo(3), run.ToString());
        Assert.That(run.OutLines[0], Does.Match(@"^Topic: orders\tTopicId: \S{22}\tPartitionCount: 2\tReplicationFactor: 3$"), run.ToString());
        Assert.That(run.OutLines.Skip(1).Select(l => Columns(l)["Partition"]), Is.EqualTo(new[] { "0", "1" }));
    }

    [Test]
    public async Task Describe_Leader_IsThePartitionsLeaderNode()
    {
        CliRun run = await DescribeAsync(1, "orders");

        for (int p = 0; p < 2; p++)
            Assert.That(Partition(run, p)["Leader"], Is.EqualTo(Invariant(_cluster.Leader("orders", p).Leader)), run.ToString());
    }

    [Test]
    public async Task Describe_LeaderEpoch_IsTheFirstEpoch_ForATopicThatNeverChangedLeader()
    {
        CliRun run = await DescribeAsync(2, "orders");

        Assert.That(Partition(run, 0)["LeaderEpoch"], Is.EqualTo("0"), run.ToString());
    }

    [Test]
    public async Task Describe_Replicas_AreTheControllersAssignment()
    {
        CliRun run = await DescribeAsync(0, "orders");

        for (int p = 0; p < 2; p++)
        {
            Assert.That(Partition(run, p)["Replicas"], Is.EqualTo(string.Join(',', _cluster.Leader("orders", p).Replicas)), run.ToString());
            Assert.That(Partition(run, p)["Replicas"].Split(',').Order(), Is.EqualTo(new[] { "0", "1", "2" }));
        }
    }

    [Test]
    public async Task Describe_Isr_IsEveryReplica_WhenAllAreInSync()
    {
        CliRun run = await DescribeAsync(0, "orders");

        Assert.That(Partition(run, 0)["Isr"], Is.EqualTo(string.Join(',', _cluster.Leader("orders", 0).InSyncReplicas)), run.ToString());
        Assert.That(Partition(run, 0)["Isr"].Split(',').Order(), Is.EqualTo(new[] { "0", "1", "2" }));
    }

    [Test]
    public async Task Describe_LogStartOffset_FollowsDeletedRecords()
    {
        CliRun run = await DescribeAsync(0, "orders");

        Assert.That(Partition(run, 0)["LogStartOffset"], Is.EqualTo("0"), run.ToString());
        Assert.That(Partition(run, 1)["LogStartOffset"], Is.EqualTo("2"), run.ToString());
    }

    [Test]
    public async Task Describe_HighWatermark_CountsTheReplicatedRecords()
    {
        CliRun run = await DescribeAsync(0, "orders");

        Assert.That(Partition(run, 0)["HighWatermark"], Is.EqualTo("5"), run.ToString());
        Assert.That(Partition(run, 1)["HighWatermark"], Is.EqualTo("3"), run.ToString());
    }

    [Test]
    public async Task Describe_WithoutATopic_DescribesEveryTopic()
    {
        CliRun run = await Cli.RunAsync("topics", "describe", "--bootstrap-server", _cluster.BootstrapServer(1));

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.OutLines.Where(l => l.StartsWith("Topic: ", StringComparison.Ordinal)), Has.Some.StartsWith("Topic: orders\t"));
    }

    [Test]
    public async Task Describe_TriesTheNextBootstrapServer_WhenOneIsDown()
    {
        int closed = LoopbackPorts.PickPairs(1)[0];

        CliRun run = await Cli.RunAsync("topics", "describe", "--bootstrap-server", $"127.0.0.1:{closed},{_cluster.BootstrapServer(2)}", "--topic", "orders");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(Partition(run, 0)["HighWatermark"], Is.EqualTo("5"));
    }

    [Test]
    public async Task Describe_AnUnknownTopic_FailsNamingIt()
    {
        CliRun run = await DescribeAsync(0, "nope", expectSuccess: false);

        AssertOneErrorLine(run, 1, "unknown topic 'nope'");
    }

    [Test]
    public async Task Describe_AnUnreachableNode_FailsNamingTheServer()
    {
        int closed = LoopbackPorts.PickPairs(1)[0];

        CliRun run = await Cli.RunAsync("topics", "describe", "--bootstrap-server", $"127.0.0.1:{closed}");

        AssertOneErrorLine(run, 1, $"cannot reach --bootstrap-server 127.0.0.1:{closed}");
    }

    [TestCase("localhost")]
    [TestCase("127.0.0.1:0")]
    [TestCase("127.0.0.1:x")]
    public async Task Describe_AMalformedBootstrapServer_IsAUsageError(string server)
    {
        CliRun run = await Cli.RunAsync("topics", "describe", "--bootstrap-server", server);

        AssertOneErrorLine(run, 2, "--bootstrap-server must be HOST:PORT");
    }

    [Test]
    public async Task Describe_WithDataAndBootstrapServer_IsAUsageError()
    {
        CliRun run = await Cli.RunAsync("topics", "describe", "--data", Data, "--bootstrap-server", _cluster.BootstrapServer(0));

        AssertOneErrorLine(run, 2, "--data and --bootstrap-server cannot be combined");
    }

    [Test]
    public async Task Describe_WithNeitherDataNorBootstrapServer_IsAUsageError()
    {
        CliRun run = await Cli.RunAsync("topics", "describe");

        AssertOneErrorLine(run, 2, "'--data' or '--bootstrap-server' is required");
    }

    private async Task<CliRun> DescribeAsync(int node, string topic, bool expectSuccess = true)
    {
        CliRun run = await Cli.RunAsync("topics", "describe", "--bootstrap-server", _cluster.BootstrapServer(node), "--topic", topic);
        if (expectSuccess)
            Assert.That(run.ExitCode, Is.Zero, run.ToString());
        return run;
    }

    internal static Dictionary<string, string> Partition(CliRun run, int partition) =>
        run.OutLines.Where(l => l.StartsWith('\t')).Select(Columns).Single(c => c["Partition"] == Invariant(partition));

    /// <summary>"\tName: value\tName: value" as a dictionary.</summary>
    internal static Dictionary<string, string> Columns(string line) =>
        line.Split('\t', StringSplitOptions.RemoveEmptyEntries).Select(c => c.Split(": ", 2)).ToDictionary(c => c[0], c => c[1]);

    private static string Invariant(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "none";
}
