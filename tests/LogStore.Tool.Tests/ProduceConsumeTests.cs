using System.Text;
using System.Text.Json;
using LogStore.Tool.Tests.TestSupport;

namespace LogStore.Tool.Tests;

[TestFixture]
public sealed class ProduceConsumeTests : ToolTestBase
{
    [Test]
    public async Task Produce_LinesWithoutSeparator_ConsumeFromBeginningPrintsEachValueOnItsOwnLine()
    {
        await CreateTopic("t");

        CliRun produced = await Cli.RunWithInputAsync("first\nsecond\n\nfourth: with colon\n", "produce", "--data", Data, "--topic", "t");
        CliRun consumed = await Cli.RunAsync("consume", "--data", Data, "--topic", "t", "--from-beginning");

        Assert.That(produced.ExitCode, Is.Zero, produced.ToString());
        Assert.That(produced.Out, Is.Empty);
        Assert.That(produced.Err, Does.StartWith("Produced 4 record(s) to topic t"));
        Assert.That(consumed.ExitCode, Is.Zero, consumed.ToString());
        Assert.That(consumed.Out.Split('\n')[..4], Is.EqualTo(new[] { "first", "second", "", "fourth: with colon" }));
        Assert.That(consumed.ErrLines, Is.EqualTo(new[] { "Processed a total of 4 messages" }));
    }

    [Test]
    public async Task Produce_WithKeySeparator_ConsumeJsonShowsEveryField()
    {
        await CreateTopic("t");
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        CliRun produced = await Cli.RunWithInputAsync("user-1:signed in\nuser-2:paid: 5 €\n", "produce", "-d", Data, "-t", "t", "--key-separator", ":");
        CliRun consumed = await Cli.RunAsync("consume", "-d", Data, "-t", "t", "--from-beginning", "--format", "json");

        Assert.That(produced.ExitCode, Is.Zero, produced.ToString());
        Assert.That(consumed.OutLines, Has.Length.EqualTo(2), consumed.ToString());
        using JsonDocument second = JsonDocument.Parse(consumed.OutLines[1]);
        JsonElement root = second.RootElement;
        Assert.That(root.GetProperty("topic").GetString(), Is.EqualTo("t"));
        Assert.That(root.GetProperty("partition").GetInt32(), Is.Zero);
        Assert.That(root.GetProperty("offset").GetInt64(), Is.EqualTo(1));
        Assert.That(root.GetProperty("timestamp").GetInt64(), Is.InRange(before, before + 600_000));
        Assert.That(root.GetProperty("key").GetString(), Is.EqualTo("user-2"));
        Assert.That(root.GetProperty("value").GetString(), Is.EqualTo("paid: 5 €"));
        Assert.That(root.GetProperty("headers").GetArrayLength(), Is.Zero);
        Assert.That(consumed.OutLines[1], Does.Contain("5 €"), "UTF-8 stays readable");
    }

    [Test]
    public async Task Consume_PrintKey_PrintsKeyTabValue_AndNullForNoKey()
    {
        await CreateTopic("t");
        await Cli.RunWithInputAsync("k:v\n", "produce", "-d", Data, "-t", "t", "--key-separator", ":");
        await Cli.RunWithInputAsync("plain\n", "produce", "-d", Data, "-t", "t");

        CliRun consumed = await Cli.RunAsync("consume", "-d", Data, "-t", "t", "--from-beginning", "--print-key");

        Assert.That(consumed.OutLines, Is.EqualTo(new[] { "k\tv", "null\tplain" }));
    }

    [Test]
    public async Task Consume_Json_ShowsHeadersAndNulls()
    {
        await using (Broker broker = await OpenBroker())
        {
            await broker.CreateTopicAsync("t");
            await using IProducer<string?, string?> producer = broker.CreateProducer<string?, string?>();
            var headers = new Headers();
            headers.Add("trace", Encoding.UTF8.GetBytes("abc"));
            headers.Add("empty", null);
            await producer.ProduceAsync("t", new Message<string?, string?> { Key = null, Value = null, Headers = headers });
        }

        CliRun consumed = await Cli.RunAsync("consume", "-d", Data, "-t", "t", "--from-beginning", "--format", "json");

        Assert.That(consumed.OutLines.Single(), Does.Contain("\"key\":null,\"value\":null,\"headers\":[{\"key\":\"trace\",\"value\":\"abc\"},{\"key\":\"empty\",\"value\":null}]"));
    }

    [Test]
    public async Task Produce_LineWithoutTheSeparator_FailsAndKeepsTheRecordsBeforeIt()
    {
        await CreateTopic("t");

        CliRun produced = await Cli.RunWithInputAsync("a:1\nb:2\nno separator\nc:3\n", "produce", "-d", Data, "-t", "t", "--key-separator", ":");
        CliRun consumed = await Cli.RunAsync("consume", "-d", Data, "-t", "t", "--from-beginning");

        AssertOneErrorLine(produced, 1, "line 3 has no key separator ':'; the 2 record(s) before it were produced");
        Assert.That(consumed.OutLines, Is.EqualTo(new[] { "1", "2" }));
    }

    [Test]
    public async Task Produce_RecordOverMaxMessageBytes_FailsCountingIt_AndTheOthersArrive()
    {
        CliRun created = await Cli.RunAsync("topics", "create", "-d", Data, "-t", "t", "--config", "max.message.bytes=200");
        Assert.That(created.ExitCode, Is.Zero, created.ToString());

        CliRun produced = await Cli.RunWithInputAsync($"small\n{new string('x', 500)}\nsmall too\n", "produce", "-d", Data, "-t", "t");
        CliRun consumed = await Cli.RunAsync("consume", "-d", Data, "-t", "t", "--from-beginning");

        AssertOneErrorLine(produced, 1, "1 of 3 record(s) were not produced: A batch of ");
        Assert.That(produced.ErrLines[0], Does.Contain("exceeds max.message.bytes (200)"));
        Assert.That(consumed.OutLines, Is.EqualTo(new[] { "small", "small too" }));
    }

    [Test]
    public async Task Consume_Offset_StartsAtThatOffset()
    {
        await CreateTopic("t");
        await Cli.RunWithInputAsync("v0\nv1\nv2\nv3\n", "produce", "-d", Data, "-t", "t");

        CliRun consumed = await Cli.RunAsync("consume", "-d", Data, "-t", "t", "--offset", "2");

        Assert.That(consumed.OutLines, Is.EqualTo(new[] { "v2", "v3" }));
    }

    [Test]
    public async Task Consume_OffsetPastTheEnd_FailsWithOneLine()
    {
        await CreateTopic("t");
        await Cli.RunWithInputAsync("v0\n", "produce", "-d", Data, "-t", "t");

        AssertOneErrorLine(await Cli.RunAsync("consume", "-d", Data, "-t", "t", "--offset", "9"), 1, "Offset 9 is out of range for t-0");
    }

    [TestCase("2000")]
    [TestCase("1970-01-01T00:00:01.500Z")]
    public async Task Consume_Time_StartsAtTheFirstRecordAtOrAfterIt(string time)
    {
        await AppendBatches("t", [(1000, null, "at-1000")], [(2000, null, "at-2000"), (3000, null, "at-3000")]);

        CliRun consumed = await Cli.RunAsync("consume", "-d", Data, "-t", "t", "--time", time);

        Assert.That(consumed.ExitCode, Is.Zero, consumed.ToString());
        Assert.That(consumed.OutLines, Is.EqualTo(new[] { "at-2000", "at-3000" }));
    }

    [Test]
    public async Task Consume_WithoutAStartAndWithoutAGroup_StartsAtTheEnd()
    {
        await CreateTopic("t");
        await Cli.RunWithInputAsync("old\n", "produce", "-d", Data, "-t", "t");

        CliRun consumed = await Cli.RunAsync("consume", "-d", Data, "-t", "t");

        Assert.That(consumed.ExitCode, Is.Zero, consumed.ToString());
        Assert.That(consumed.Out, Is.Empty);
        Assert.That(consumed.ErrLines, Is.EqualTo(new[] { "Processed a total of 0 messages" }));
    }

    [Test]
    public async Task Consume_Group_CommitsWhereItStopped_AndTheNextRunResumesThere()
    {
        await CreateTopic("t", partitions: 2);
        await Cli.RunWithInputAsync(string.Join('\n', Enumerable.Range(0, 6).Select(i => $"k{i}:v{i}")), "produce", "-d", Data, "-t", "t", "--key-separator", ":");

        CliRun first = await Cli.RunAsync("consume", "-d", Data, "-t", "t", "--group", "billing", "--from-beginning", "--max", "2");
        CliRun second = await Cli.RunAsync("consume", "-d", Data, "-t", "t", "--group", "billing");
        CliRun third = await Cli.RunAsync("consume", "-d", Data, "-t", "t", "--group", "billing", "--from-beginning");

        Assert.That(first.OutLines, Has.Length.EqualTo(2), first.ToString());
        Assert.That(second.OutLines, Has.Length.EqualTo(4), second.ToString());
        Assert.That(first.OutLines.Concat(second.OutLines).Order(), Is.EqualTo(Enumerable.Range(0, 6).Select(i => $"v{i}")));
        Assert.That(third.Out, Is.Empty, "everything was committed");
    }

    [Test]
    public async Task Consume_GroupWithoutFromBeginning_StartsAtTheEndWhenNothingIsCommitted()
    {
        await CreateTopic("t");
        await Cli.RunWithInputAsync("old\n", "produce", "-d", Data, "-t", "t");

        CliRun first = await Cli.RunAsync("consume", "-d", Data, "-t", "t", "--group", "g");
        await Cli.RunWithInputAsync("new\n", "produce", "-d", Data, "-t", "t");
        CliRun second = await Cli.RunAsync("consume", "-d", Data, "-t", "t", "--group", "g");

        Assert.That(first.Out, Is.Empty);
        Assert.That(second.OutLines, Is.EqualTo(new[] { "new" }));
    }

    [Test]
    public async Task Consume_PartitionAndMax_ReadOnlyThatPartitionAndStop()
    {
        await using (Broker broker = await OpenBroker())
        {
            Topic t = await broker.CreateTopicAsync("t", new TopicConfig { Partitions = 2 });
            await using IProducer<string, string> producer = broker.CreateProducer<string, string>();
            for (int i = 0; i < 3; i++)
            {
                await producer.ProduceAsync(new TopicPartition("t", 0), new Message<string, string> { Key = "a", Value = $"p0-{i}" });
                await producer.ProduceAsync(new TopicPartition("t", 1), new Message<string, string> { Key = "b", Value = $"p1-{i}" });
            }
        }

        CliRun consumed = await Cli.RunAsync("consume", "-d", Data, "-t", "t", "--partition", "1", "--from-beginning", "--max", "2");

        Assert.That(consumed.OutLines, Is.EqualTo(new[] { "p1-0", "p1-1" }));
    }

    [Test]
    public async Task Consume_TimeoutMs_WaitsThenEndsWhenNothingArrives()
    {
        await CreateTopic("t");
        await Cli.RunWithInputAsync("a\n", "produce", "-d", Data, "-t", "t");

        CliRun consumed = await Cli.RunAsync("consume", "-d", Data, "-t", "t", "--from-beginning", "--timeout-ms", "50");

        Assert.That(consumed.ExitCode, Is.Zero, consumed.ToString());
        Assert.That(consumed.OutLines, Is.EqualTo(new[] { "a" }));
    }

    [Test]
    public async Task Consume_InterruptedWhileFollowing_CommitsWhatWasPrinted_AndExitsZero()
    {
        await CreateTopic("t");
        await Cli.RunWithInputAsync("a\nb\n", "produce", "-d", Data, "-t", "t");
        using var interrupt = new CancellationTokenSource();
        // Ctrl+C as soon as the last record is printed: follow mode (--timeout-ms -1) never ends on its own.
        using var output = new CallbackWriter(line => { if (line == "b") interrupt.Cancel(); });
        using var error = new StringWriter();

        int exitCode = await LogStoreCli.RunAsync(["consume", "-d", Data, "-t", "t", "-g", "g", "--from-beginning", "--timeout-ms", "-1"],
            new StringReader(""), output, error, interrupt.Token);
        CliRun again = await Cli.RunAsync("consume", "-d", Data, "-t", "t", "-g", "g", "--from-beginning");

        Assert.That(exitCode, Is.Zero, error.ToString());
        Assert.That(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { "a", "b" }));
        Assert.That(error.ToString(), Does.Contain("Processed a total of 2 messages"));
        Assert.That(again.Out, Is.Empty, "the interrupted run committed both records");
    }

    /// <summary>A string writer that reports each line written asynchronously, as the consumer writes records.</summary>
    private sealed class CallbackWriter(Action<string> onLine) : StringWriter
    {
        public override async Task WriteLineAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default)
        {
            await base.WriteLineAsync(buffer, cancellationToken);
            onLine(buffer.ToString());
        }
    }
}
