using LogStore.Tool.Tests.TestSupport;

namespace LogStore.Tool.Tests;

[TestFixture]
public sealed class TopicsCommandTests : ToolTestBase
{
    [Test]
    public async Task Create_ThenList_PrintsTheTopicNames()
    {
        CliRun created = await Cli.RunAsync("topics", "create", "--data", Data, "--topic", "orders");
        await CreateTopic("audit");

        CliRun listed = await Cli.RunAsync("topics", "list", "--data", Data);

        Assert.That(created.OutLines, Is.EqualTo(new[] { "Created topic orders." }));
        Assert.That(listed.ExitCode, Is.Zero, listed.ToString());
        Assert.That(listed.OutLines, Is.EqualTo(new[] { "audit", "orders" }));
    }

    [Test]
    public async Task Create_InAMissingDirectory_CreatesTheDirectory()
    {
        string nested = Path.Combine(Data, "new", "store");

        CliRun run = await Cli.RunAsync("topics", "create", "-d", nested, "-t", "t");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(Directory.Exists(Path.Combine(nested, "t-0")), Is.True);
    }

    [Test]
    public async Task Create_WithPartitionsAndKafkaConfigs_DescribeShowsThem()
    {
        CliRun created = await Cli.RunAsync("topics", "create", "--data", Data, "--topic", "events", "--partitions", "3",
            "--config", "retention.ms=3600000", "--config", "cleanup.policy=compact", "--config", "retention.bytes=-1");

        CliRun described = await Cli.RunAsync("topics", "describe", "--data", Data, "--topic", "events");

        Assert.That(created.ExitCode, Is.Zero, created.ToString());
        Assert.That(described.ExitCode, Is.Zero, described.ToString());
        string[] lines = described.OutLines;
        Assert.That(lines[0], Does.StartWith("Topic: events\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: "));
        Assert.That(lines[0], Does.Contain("retention.ms=3600000").And.Contain("cleanup.policy=compact")
            .And.Contain("retention.bytes=-1").And.Contain("segment.bytes=1073741824"));
        string[] partitions = lines.Where(l => l.StartsWith("\tTopic:", StringComparison.Ordinal)).ToArray();
        Assert.That(partitions, Has.Length.EqualTo(3));
        Assert.That(partitions[2], Is.EqualTo("\tTopic: events\tPartition: 2\tLogStartOffset: 0\tLogEndOffset: 0\tSegments: 1\tSize: 0"));
    }

    [Test]
    public async Task Create_WithTimestampBounds_DescribeShowsThem()
    {
        CliRun created = await Cli.RunAsync("topics", "create", "--data", Data, "--topic", "events",
            "--config", "message.timestamp.before.max.ms=86400000", "--config", "message.timestamp.after.max.ms=9223372036854775807");
        CliRun described = await Cli.RunAsync("topics", "describe", "--data", Data, "--topic", "events");
        CliRun defaults = await Cli.RunAsync("topics", "create", "--data", Data, "--topic", "plain");
        CliRun describedDefaults = await Cli.RunAsync("topics", "describe", "--data", Data, "--topic", "plain");

        Assert.That(created.ExitCode, Is.Zero, created.ToString());
        Assert.That(defaults.ExitCode, Is.Zero, defaults.ToString());
        Assert.That(described.OutLines[0], Does.Contain("message.timestamp.before.max.ms=86400000")
            .And.Contain("message.timestamp.after.max.ms=-1"));
        Assert.That(describedDefaults.OutLines[0], Does.Contain("message.timestamp.before.max.ms=-1")
            .And.Contain("message.timestamp.after.max.ms=3600000"));
    }

    [Test]
    public async Task Describe_AfterProducing_ShowsOffsetsEverySegmentAndTheSize()
    {
        CliRun created = await Cli.RunAsync("topics", "create", "--data", Data, "--topic", "log", "--config", "segment.bytes=300");
        Assert.That(created.ExitCode, Is.Zero, created.ToString());
        // One batch per run of produce; 4 batches of ~150 bytes roll the 300-byte segments.
        for (int i = 0; i < 4; i++)
            Assert.That((await Cli.RunWithInputAsync(string.Join('\n', Enumerable.Range(0, 5).Select(j => $"value-{i}-{j}")), "produce", "-d", Data, "-t", "log")).ExitCode, Is.Zero);

        CliRun described = await Cli.RunAsync("topics", "describe", "--data", Data);

        Assert.That(described.ExitCode, Is.Zero, described.ToString());
        string partition = described.OutLines.Single(l => l.StartsWith("\tTopic: log\tPartition: 0", StringComparison.Ordinal));
        string[] segments = described.OutLines.Where(l => l.StartsWith("\t\tSegment: ", StringComparison.Ordinal)).ToArray();
        long size = Directory.GetFiles(Path.Combine(Data, "log-0"), "*.log").Sum(f => new FileInfo(f).Length);
        Assert.That(partition, Does.Contain("LogStartOffset: 0\tLogEndOffset: 20").And.Contain($"Segments: {segments.Length}\tSize: {size}"));
        Assert.That(segments.Length, Is.GreaterThan(1));
        Assert.That(segments[0], Does.StartWith("\t\tSegment: 00000000000000000000.log\tBaseOffset: 0\tNextOffset: "));
    }

    [Test]
    public async Task Delete_RemovesTheTopicAndItsData()
    {
        await CreateTopic("doomed", partitions: 2);

        CliRun deleted = await Cli.RunAsync("topics", "delete", "--data", Data, "--topic", "doomed");
        CliRun listed = await Cli.RunAsync("topics", "list", "--data", Data);

        Assert.That(deleted.ExitCode, Is.Zero, deleted.ToString());
        Assert.That(listed.OutLines, Is.Empty);
        Assert.That(Directory.GetDirectories(Data, "doomed*"), Is.Empty);
    }

    [Test]
    public async Task List_ExcludeInternal_LeavesOutConsumerOffsets()
    {
        await CreateTopic("t");
        Assert.That((await Cli.RunWithInputAsync("x", "produce", "-d", Data, "-t", "t")).ExitCode, Is.Zero);
        Assert.That((await Cli.RunAsync("consume", "-d", Data, "-t", "t", "--group", "g", "--from-beginning")).ExitCode, Is.Zero);

        CliRun all = await Cli.RunAsync("topics", "list", "-d", Data);
        CliRun user = await Cli.RunAsync("topics", "list", "-d", Data, "--exclude-internal");

        Assert.That(all.OutLines, Is.EqualTo(new[] { "__consumer_offsets", "t" }));
        Assert.That(user.OutLines, Is.EqualTo(new[] { "t" }));
    }

    [Test]
    public async Task Delete_ConsumerOffsets_IsRefusedWithOneLineAndEveryGroupKeepsItsOffsets()
    {
        await CreateTopic("t");
        Assert.That((await Cli.RunWithInputAsync("a\nb", "produce", "-d", Data, "-t", "t")).ExitCode, Is.Zero);
        Assert.That((await Cli.RunAsync("consume", "-d", Data, "-t", "t", "--group", "g", "--from-beginning")).ExitCode, Is.Zero);
        string before = (await Cli.RunAsync("groups", "describe", "-d", Data, "-g", "g")).Out;

        CliRun deleted = await Cli.RunAsync("topics", "delete", "-d", Data, "-t", "__consumer_offsets");

        AssertOneErrorLine(deleted, 2, "Cannot delete internal topic '__consumer_offsets'");
        Assert.That(deleted.Err, Does.Contain("committed offsets"));
        Assert.That((await Cli.RunAsync("topics", "list", "-d", Data)).OutLines, Is.EqualTo(new[] { "__consumer_offsets", "t" }));
        CliRun after = await Cli.RunAsync("groups", "describe", "-d", Data, "-g", "g");
        Assert.That(after.Out, Is.EqualTo(before).And.Contain("2"), "the group's offsets are still there");
    }

    [Test]
    public async Task Create_AnExistingTopic_FailsWithOneLine()
    {
        await CreateTopic("t");

        AssertOneErrorLine(await Cli.RunAsync("topics", "create", "-d", Data, "-t", "t"), 1, "topic 't' already exists");
    }

    [Test]
    public async Task Create_UnknownConfig_IsAUsageError()
    {
        CliRun run = await Cli.RunAsync("topics", "create", "-d", Data, "-t", "t", "--config", "retention.hours=5");

        AssertOneErrorLine(run, 2, "unknown config 'retention.hours'");
        Assert.That(Directory.Exists(Path.Combine(Data, "t-0")), Is.False);
    }

    [TestCase("segment.bytes=5", "segment.bytes is out of range")]
    [TestCase("segment.bytes=big", "segment.bytes must be a whole number")]
    [TestCase("cleanup.policy=sometimes", "cleanup.policy must be delete, compact or compact,delete")]
    [TestCase("retention.ms", "is not name=value")]
    [TestCase("message.timestamp.after.max.ms=-5", "message.timestamp.after.max.ms is out of range")]
    [TestCase("message.timestamp.before.max.ms=soon", "message.timestamp.before.max.ms must be a whole number")]
    public async Task Create_BadConfigValue_IsAUsageErrorNamingTheSetting(string config, string message)
    {
        AssertOneErrorLine(await Cli.RunAsync("topics", "create", "-d", Data, "-t", "t", "--config", config), 2, message);
    }

    [Test]
    public async Task Create_InvalidTopicName_IsAUsageError()
    {
        AssertOneErrorLine(await Cli.RunAsync("topics", "create", "-d", Data, "-t", "bad/name"), 2, "Invalid topic name 'bad/name'");
    }
}
