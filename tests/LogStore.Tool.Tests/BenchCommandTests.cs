using LogStore.Tool.Tests.TestSupport;

namespace LogStore.Tool.Tests;

[TestFixture]
public sealed class BenchCommandTests : ToolTestBase
{
    [Test]
    public async Task Bench_SmallRun_PrintsAThroughputTableAndDeletesItsScratchTopic()
    {
        CliRun run = await Cli.RunAsync("bench", "--data", Data, "--records", "3000", "--size", "64", "--partitions", "2", "--compression", "lz4");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Out, Does.Contain("3,000 records of 64 bytes, 2 partition(s), compression lz4"));
        Assert.That(run.Out, Does.Contain("records/s").And.Contain("MB/s"));
        Assert.That(run.OutLines.Count(l => l.Contains("produce", StringComparison.Ordinal) && l.Contains("3,000", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(run.OutLines.Count(l => l.Contains("consume", StringComparison.Ordinal) && l.Contains("3,000", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That((await Cli.RunAsync("topics", "list", "-d", Data)).Out, Is.Empty);
    }

    [Test]
    public async Task Bench_Keep_LeavesTheScratchTopicWithAllRecords()
    {
        CliRun run = await Cli.RunAsync("bench", "-d", Data, "-n", "100", "--keep");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        CliRun described = await Cli.RunAsync("topics", "describe", "-d", Data);
        Assert.That(described.Out, Does.StartWith("Topic: logstore-bench-").And.Contain("LogEndOffset: 100"));
    }
}
