using LogStore.Tool.Tests.TestSupport;

namespace LogStore.Tool.Tests;

[TestFixture]
public sealed class GroupsCommandTests : ToolTestBase
{
    [Test]
    public async Task ListAndDescribe_ShowEachGroupsCommittedOffsetsLogEndAndLag()
    {
        await CreateTopic("t", partitions: 2);
        await using (Broker broker = await OpenBroker())
        {
            await using IProducer<string, string> producer = broker.CreateProducer<string, string>();
            for (int i = 0; i < 5; i++)
                await producer.ProduceAsync(new TopicPartition("t", i < 3 ? 0 : 1), new Message<string, string> { Key = "k", Value = $"v{i}" });
            await using IConsumer<string, string> consumer = broker.CreateConsumer<string, string>(new ConsumerOptions { GroupId = "billing", EnableAutoCommit = false });
            consumer.Commit([new TopicPartitionOffset(new TopicPartition("t", 0), 1), new TopicPartitionOffset(new TopicPartition("t", 1), 2)]);
            await using IConsumer<string, string> other = broker.CreateConsumer<string, string>(new ConsumerOptions { GroupId = "audit", EnableAutoCommit = false });
            other.Commit([new TopicPartitionOffset(new TopicPartition("t", 0), 3)]);
        }

        CliRun listed = await Cli.RunAsync("groups", "list", "--data", Data);
        CliRun described = await Cli.RunAsync("groups", "describe", "--data", Data, "--group", "billing");
        CliRun all = await Cli.RunAsync("groups", "describe", "--data", Data);

        Assert.That(listed.OutLines, Is.EqualTo(new[] { "audit", "billing" }));
        Assert.That(described.ExitCode, Is.Zero, described.ToString());
        Assert.That(described.OutLines.Select(Columns), Is.EqualTo(new[]
        {
            new[] { "GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG" },
            new[] { "billing", "t", "0", "1", "3", "2" },
            new[] { "billing", "t", "1", "2", "2", "0" },
        }));
        Assert.That(all.OutLines.Skip(1).Select(l => Columns(l)[0]), Is.EqualTo(new[] { "audit", "billing", "billing" }));
    }

    [Test]
    public async Task Describe_AfterConsumeWithAGroup_ShowsNoLag()
    {
        await CreateTopic("t");
        await Cli.RunWithInputAsync("a\nb\nc\n", "produce", "-d", Data, "-t", "t");
        await Cli.RunAsync("consume", "-d", Data, "-t", "t", "-g", "g", "--from-beginning", "--max", "2");

        CliRun partial = await Cli.RunAsync("groups", "describe", "-d", Data, "-g", "g");
        await Cli.RunAsync("consume", "-d", Data, "-t", "t", "-g", "g");
        CliRun done = await Cli.RunAsync("groups", "describe", "-d", Data, "-g", "g");

        Assert.That(Columns(partial.OutLines[1]), Is.EqualTo(new[] { "g", "t", "0", "2", "3", "1" }));
        Assert.That(Columns(done.OutLines[1]), Is.EqualTo(new[] { "g", "t", "0", "3", "3", "0" }));
    }

    [Test]
    public async Task List_WithoutAnyGroup_PrintsNothingAndCreatesNothing()
    {
        await CreateTopic("t");

        CliRun listed = await Cli.RunAsync("groups", "list", "-d", Data);

        Assert.That(listed.ExitCode, Is.Zero, listed.ToString());
        Assert.That(listed.Out, Is.Empty);
        Assert.That(Directory.GetDirectories(Data, "__consumer_offsets*"), Is.Empty);
    }

    [Test]
    public async Task Describe_UnknownGroup_FailsWithOneLine()
    {
        await CreateTopic("t");

        AssertOneErrorLine(await Cli.RunAsync("groups", "describe", "-d", Data, "-g", "nobody"), 1, "consumer group 'nobody' does not exist");
    }

    private static string[] Columns(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
