using LogStore.Tests.TestSupport;

namespace LogStore.Tool.Tests.TestSupport;

/// <summary>A fresh data directory per test, and helpers that fill it through the library.</summary>
public abstract class ToolTestBase
{
    private TempDirectory _dir = null!;

    /// <summary>The test's data directory (exists, empty).</summary>
    protected string Data => _dir.Path;

    [SetUp]
    public void CreateDirectory() => _dir = new TempDirectory();

    [TearDown]
    public void DeleteDirectory() => _dir.Dispose();

    protected ValueTask<Broker> OpenBroker() => Broker.OpenAsync(new BrokerOptions { DataDirectory = Data });

    protected async Task CreateTopic(string name, int partitions = 1)
    {
        CliRun run = await Cli.RunAsync("topics", "create", "--data", Data, "--topic", name, "--partitions", partitions.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
    }

    /// <summary>Appends one batch per element of <paramref name="batches"/>, record timestamps as given.</summary>
    protected async Task<IReadOnlyList<SegmentInfo>> AppendBatches(string topic, params (long Timestamp, string? Key, string Value)[][] batches)
    {
        await using Broker broker = await OpenBroker();
        return await AppendBatches(broker, topic, batches);
    }

    /// <summary>Appends one batch per element of <paramref name="batches"/> to partition 0 of <paramref name="topic"/>
    /// (created with <paramref name="config"/> when missing).</summary>
    protected static async Task<IReadOnlyList<SegmentInfo>> AppendBatches(Broker broker, string topic,
        (long Timestamp, string? Key, string Value)[][] batches, TopicConfig? config = null)
    {
        Topic t = await broker.GetOrCreateTopicAsync(topic, config);
        foreach ((long Timestamp, string? Key, string Value)[] records in batches)
        {
            using var builder = new RecordBatchBuilder();
            foreach ((long timestamp, string? key, string value) in records)
                builder.Append(timestamp, key is null ? null : System.Text.Encoding.UTF8.GetBytes(key), System.Text.Encoding.UTF8.GetBytes(value));
            await t.Partitions[0].AppendAsync(builder.Build());
        }
        return t.Partitions[0].Segments;
    }

    protected static void AssertOneErrorLine(CliRun run, int exitCode, string contains)
    {
        Assert.That(run.ExitCode, Is.EqualTo(exitCode), run.ToString());
        Assert.That(run.ErrLines, Has.Length.EqualTo(1), run.ToString());
        Assert.That(run.ErrLines[0], Does.StartWith("error: ").And.Contain(contains), run.ToString());
        Assert.That(run.Err, Does.Not.Contain("   at "), "no stack trace");
    }
}
