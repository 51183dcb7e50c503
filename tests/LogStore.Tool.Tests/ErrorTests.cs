using LogStore.Tool.Tests.TestSupport;

namespace LogStore.Tool.Tests;

/// <summary>Every failure is one line on standard error and a non-zero exit code: 1 for failures, 2 for usage errors.</summary>
[TestFixture]
public sealed class ErrorTests : ToolTestBase
{
    [TestCase("produce")]
    [TestCase("consume")]
    public async Task UnknownTopic_FailsWithOneLine(string command)
    {
        await CreateTopic("known");

        AssertOneErrorLine(await Cli.RunWithInputAsync("x\n", command, "--data", Data, "--topic", "missing"), 1, "unknown topic 'missing'");
    }

    [Test]
    public async Task UnknownTopic_DescribeAndDelete_FailWithOneLine()
    {
        await CreateTopic("known");

        AssertOneErrorLine(await Cli.RunAsync("topics", "describe", "-d", Data, "-t", "missing"), 1, "unknown topic 'missing'");
        AssertOneErrorLine(await Cli.RunAsync("topics", "delete", "-d", Data, "-t", "missing"), 1, "unknown topic 'missing'");
    }

    [Test]
    public async Task UnknownPartition_FailsWithOneLine()
    {
        await CreateTopic("t", partitions: 2);

        AssertOneErrorLine(await Cli.RunAsync("consume", "-d", Data, "-t", "t", "--partition", "2"), 1, "unknown partition 2 of topic 't'");
    }

    [TestCase("topics", "list")]
    [TestCase("topics", "describe")]
    [TestCase("consume", "-t", "t")]
    [TestCase("produce", "-t", "t")]
    [TestCase("groups", "list")]
    public async Task MissingDataDirectory_FailsWithOneLine_AndCreatesNothing(params string[] command)
    {
        string missing = Path.Combine(Data, "nowhere");

        CliRun run = await Cli.RunAsync([.. command, "--data", missing]);

        AssertOneErrorLine(run, 1, $"data directory '{missing}' does not exist");
        Assert.That(Directory.Exists(missing), Is.False);
    }

    [TestCase("topics", "list")]
    [TestCase("topics", "describe")]
    [TestCase("topics", "delete", "-t", "t")]
    [TestCase("consume", "-t", "t")]
    [TestCase("produce", "-t", "t")]
    [TestCase("groups", "list")]
    [TestCase("topics", "create", "-t", "t")]
    public async Task DirectoryThatIsNotAStore_FailsNamingWhatWasExpected_AndWritesNothing(params string[] command)
    {
        // An application's directory, with the store one level down: the user typed --data ~/app for ~/app/data.
        string app = Path.Combine(Data, "app");
        Directory.CreateDirectory(Path.Combine(app, "notes-1"));
        File.WriteAllText(Path.Combine(app, "appsettings.json"), "{}");
        string store = Path.Combine(app, "data");
        await using (Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = store }))
            await broker.CreateTopicAsync("t", new TopicConfig());
        string[] before = Listing(app);

        CliRun run = await Cli.RunWithInputAsync("x\n", [.. command, "--data", app]);

        AssertOneErrorLine(run, 1, $"'{app}' is not a LogStore data directory: expected a directory made by LogStore, " +
            $"holding 'topic-configs/' and partition directories such as 'orders-0/'; did you mean '{store}'?");
        Assert.That(Listing(app), Is.EqualTo(before), "the command wrote into the directory");
    }

    private static string[] Listing(string directory) =>
        [.. Directory.EnumerateFileSystemEntries(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    [Test]
    public async Task LockedDataDirectory_FailsWithOneLine()
    {
        await CreateTopic("t");
        await using Broker holder = await OpenBroker();

        // A write command; the read commands open the store read-only beside the holder (ReadBesideApplicationTests).
        AssertOneErrorLine(await Cli.RunAsync("topics", "delete", "-d", Data, "-t", "t"), 1, "is locked by another Broker or process");
    }

    [TestCase(new[] { "topics", "list" }, "Option '--data' is required.")]
    [TestCase(new[] { "consume", "--data", "x" }, "Option '--topic' is required.")]
    [TestCase(new[] { "topics", "frobnicate" }, "Unrecognized command or argument 'frobnicate'.")]
    [TestCase(new[] { "consume", "-d", "x", "-t", "t", "--max", "lots" }, "lots")]
    [TestCase(new[] { "consume", "-d", "x", "-t", "t", "--max", "0" }, "--max must be 1 or more")]
    [TestCase(new[] { "consume", "-d", "x", "-t", "t", "--offset", "-4" }, "--offset must be 0 or more")]
    [TestCase(new[] { "consume", "-d", "x", "-t", "t", "--offset", "1", "--from-beginning" }, "--from-beginning and --offset cannot be combined")]
    [TestCase(new[] { "consume", "-d", "x", "-t", "t", "--time", "yesterday" }, "--time must be Unix milliseconds or an ISO 8601 time")]
    [TestCase(new[] { "consume", "-d", "x", "-t", "t", "--format", "xml" }, "xml")]
    [TestCase(new[] { "produce", "-d", "x", "-t", "t", "--key-separator", "" }, "--key-separator must not be empty")]
    [TestCase(new[] { "dump" }, "Required argument missing for command: 'dump'")]
    [TestCase(new string[0], "Required command was not provided.")]
    public async Task BadArguments_AreUsageErrors_OnOneLineThatPointsAtHelp(string[] args, string message)
    {
        CliRun run = await Cli.RunAsync(args);

        AssertOneErrorLine(run, 2, message);
        Assert.That(run.ErrLines[0], Does.EndWith("--help')"));
        Assert.That(run.Out, Is.Empty);
        Assert.That(Directory.Exists("x"), Is.False);
    }

    [TestCase(new[] { "consume", "-d", "x", "-t", "t", "--max", "lots" }, "--max must be a whole number, not 'lots'.")]
    [TestCase(new[] { "consume", "-d", "x", "-t", "t", "--offset", "1e3" }, "--offset must be a whole number, not '1e3'.")]
    [TestCase(new[] { "consume", "-d", "x", "-t", "t", "--partition", "99999999999" }, "--partition must be a whole number from")]
    [TestCase(new[] { "consume", "-d", "x", "-t", "t", "--timeout-ms", "soon" }, "--timeout-ms must be a whole number, not 'soon'.")]
    [TestCase(new[] { "topics", "create", "-d", "x", "-t", "t", "--partitions", "three" }, "--partitions must be a whole number, not 'three'.")]
    [TestCase(new[] { "bench", "-d", "x", "--records", "many" }, "--records must be a whole number, not 'many'.")]
    [TestCase(new[] { "consume", "-d", "x", "-t", "t", "--format", "xml" }, "--format must be one of text, json, not 'xml'.")]
    [TestCase(new[] { "produce", "-d", "x", "-t", "t", "--compression", "brotli" }, "--compression must be one of none, gzip, snappy, lz4, zstd, not 'brotli'.")]
    public async Task BadValue_IsExplainedInTheUsersWords_NeverAsADotNetType(string[] args, string message)
    {
        CliRun run = await Cli.RunAsync(args);

        AssertOneErrorLine(run, 2, message);
        Assert.That(run.Err, Does.Not.Contain("System.").And.Not.Contain("expected type").And.Not.Contain("LogStore."));
    }

    [TestCase(new[] { "consume", "-d", "x", "-t", "t", "--ofset", "3" }, "Did you mean '--offset'?")]
    [TestCase(new[] { "consume", "-d", "x", "-t", "t", "--from-begining" }, "Did you mean '--from-beginning'?")]
    [TestCase(new[] { "topics", "crate", "-d", "x", "-t", "t" }, "Did you mean 'create'?")]
    [TestCase(new[] { "topic", "list", "-d", "x" }, "Did you mean 'topics'?")]
    [TestCase(new[] { "consume", "-d", "x", "-t", "t", "--max-mess", "3" }, "Did you mean '--max-messages'?")]
    public async Task Typo_GetsTheOptionOrCommandItWasProbablyMeantToBe(string[] args, string suggestion)
    {
        CliRun run = await Cli.RunAsync(args);

        AssertOneErrorLine(run, 2, suggestion);
        Assert.That(run.ErrLines[0], Does.Contain("Unrecognized command or argument").And.EndWith("--help')"));
    }

    [Test]
    public async Task UnrelatedWord_GetsNoSuggestion()
    {
        CliRun run = await Cli.RunAsync("consume", "-d", "x", "-t", "t", "--banana");

        AssertOneErrorLine(run, 2, "Unrecognized command or argument '--banana'");
        Assert.That(run.Err, Does.Not.Contain("Did you mean"));
    }

    [Test]
    public async Task Help_PrintsTheOptionsAndSucceeds()
    {
        CliRun run = await Cli.RunAsync("topics", "create", "--help");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Out, Does.Contain("--partitions").And.Contain("--config"));
    }
}
