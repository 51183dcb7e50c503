using LogStore.Tool.Tests.TestSupport;

namespace LogStore.Tool.Tests;

/// <summary><c>logstore topics alter</c> and <c>logstore topics add-partitions</c>.</summary>
[TestFixture]
public sealed class TopicsAlterCommandTests : ToolTestBase
{
    [Test]
    public async Task Alter_KafkaConfigs_DescribeShowsThemAndEmptyPutsTheDefaultBack()
    {
        await Cli.RunAsync("topics", "create", "--data", Data, "--topic", "events", "--config", "segment.bytes=4096");

        CliRun altered = await Cli.RunAsync("topics", "alter", "--data", Data, "--topic", "events",
            "--config", "retention.ms=3600000", "--config", "cleanup.policy=compact", "--config", "flush.ms=-1", "--config", "segment.bytes=");
        CliRun described = await Cli.RunAsync("topics", "describe", "--data", Data, "--topic", "events");

        Assert.That(altered.ExitCode, Is.Zero, altered.ToString());
        Assert.That(altered.OutLines, Is.EqualTo(new[] { "Altered topic events: cleanup.policy=compact,flush.ms=-1,retention.ms=3600000,segment.bytes=1073741824." }));
        Assert.That(described.OutLines[0], Does.Contain("retention.ms=3600000").And.Contain("cleanup.policy=compact")
            .And.Contain("flush.ms=-1").And.Contain("segment.bytes=1073741824"));
    }

    [TestCase("retention.mss=5", "retention.mss")]
    [TestCase("segment.bytes=abc", "segment.bytes")]
    [TestCase("segment.bytes=10", "segment.bytes")]
    [TestCase("partitions=3", "add-partitions")]
    [TestCase("retention", "name=value")]
    public async Task Alter_BadConfig_IsAUsageErrorAndChangesNothing(string pair, string named)
    {
        await CreateTopic("events");
        string file = File.ReadAllText(Path.Combine(Data, "topic-configs", "events.conf"));

        CliRun run = await Cli.RunAsync("topics", "alter", "--data", Data, "--topic", "events", "--config", pair);

        AssertOneErrorLine(run, 2, named);
        Assert.That(File.ReadAllText(Path.Combine(Data, "topic-configs", "events.conf")), Is.EqualTo(file));
    }

    [Test]
    public async Task Alter_UnknownTopic_Fails()
    {
        await CreateTopic("events");

        CliRun run = await Cli.RunAsync("topics", "alter", "--data", Data, "--topic", "missing", "--config", "retention.ms=1000");

        AssertOneErrorLine(run, 1, "unknown topic 'missing'");
    }

    [Test]
    public async Task AddPartitions_Grows_DescribeShowsTheNewCount()
    {
        await CreateTopic("events", partitions: 2);

        CliRun grown = await Cli.RunAsync("topics", "add-partitions", "--data", Data, "--topic", "events", "--partitions", "5");
        CliRun described = await Cli.RunAsync("topics", "describe", "--data", Data, "--topic", "events");

        Assert.That(grown.ExitCode, Is.Zero, grown.ToString());
        Assert.That(grown.OutLines, Is.EqualTo(new[] { "Topic events now has 5 partitions (was 2)." }));
        Assert.That(described.OutLines[0], Does.Contain("PartitionCount: 5"));
        Assert.That(Directory.Exists(Path.Combine(Data, "events-4")), Is.True);
    }

    [TestCase("2")]
    [TestCase("1")]
    public async Task AddPartitions_NotLarger_IsAUsageError(string partitions)
    {
        await CreateTopic("events", partitions: 2);

        CliRun run = await Cli.RunAsync("topics", "add-partitions", "--data", Data, "--topic", "events", "--partitions", partitions);

        AssertOneErrorLine(run, 2, "can only grow");
        Assert.That(Directory.Exists(Path.Combine(Data, "events-2")), Is.False);
    }

    [Test]
    public async Task AddPartitions_InternalTopic_IsRefused()
    {
        await CreateTopic("events");
        await using (Broker broker = await OpenBroker())
        {
            // A group's commit creates __consumer_offsets.
            await using IConsumer<string, string> consumer = broker.CreateConsumer<string, string>(new ConsumerOptions { GroupId = "g" });
            consumer.Commit([new TopicPartitionOffset(new TopicPartition("events", 0), 0)]);
            Assert.That(broker.TryGetTopic("__consumer_offsets", out _), Is.True);
        }

        CliRun run = await Cli.RunAsync("topics", "add-partitions", "--data", Data, "--topic", "__consumer_offsets", "--partitions", "100");

        AssertOneErrorLine(run, 2, "internal topic");
    }
}
