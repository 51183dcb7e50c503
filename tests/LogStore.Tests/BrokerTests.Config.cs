using LogStore.Tests.TestSupport;

namespace LogStore.Tests;

/// <summary>Issue 18 items 5 and 9: the partition bound, configuration files checked with the API's rules and every
/// error naming its file, and names printed whole.</summary>
public sealed partial class BrokerTests
{
    private string ConfigFile(string topic) => _dir.Combine("topic-configs", topic + ".conf");

    private async Task CreateThenEditConfig(string topic, int partitions, Func<string, string> edit)
    {
        await using (Broker broker = await Open())
            await broker.CreateTopicAsync(topic, new TopicConfig { Partitions = partitions });
        File.WriteAllText(ConfigFile(topic), edit(File.ReadAllText(ConfigFile(topic))));
    }

    [Test]
    public async Task CreateTopicAsync_PartitionsAboveTheBound_ThrowsArgumentOutOfRangeAtOnceAndCreatesNothing()
    {
        await using Broker broker = await Open();

        var e = Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await broker.CreateTopicAsync("t", new TopicConfig { Partitions = int.MaxValue }));
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
            await broker.GetOrCreateTopicAsync("t", new TopicConfig { Partitions = TopicConfig.MaxPartitions + 1 }));

        Assert.That(e!.ParamName, Is.EqualTo(nameof(TopicConfig.Partitions)));
        Assert.That(e.Message, Does.Contain(TopicConfig.MaxPartitions.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(Directory.EnumerateDirectories(_dir.Path), Is.Empty);
        Assert.That(TopicConfig.MaxPartitions, Is.EqualTo(10_000));
    }

    [TestCase("2147483647")]
    [TestCase("10001")]
    [TestCase("0")]
    [TestCase("-1")]
    [TestCase("99999999999")]
    public async Task OpenAsync_ConfigFileWithPartitionsOutOfRange_ThrowsStorageExceptionNamingTheFile(string partitions)
    {
        await CreateThenEditConfig("t", 1, text => text.Replace("partitions=1\n", $"partitions={partitions}\n", StringComparison.Ordinal));

        var e = Assert.ThrowsAsync<StorageException>(async () => await Open());

        Assert.That(e!.FilePath, Is.EqualTo(ConfigFile("t")));
        Assert.That(e.Message, Does.Contain(ConfigFile("t")).And.Contain("artitions"));
    }

    [Test]
    public async Task OpenAsync_HugeConfigFile_ThrowsStorageExceptionNamingTheFileWithoutReadingIt()
    {
        await CreateThenEditConfig("t", 1, text => text + new string('#', 1 << 20) + "\n");

        var e = Assert.ThrowsAsync<StorageException>(async () => await Open());

        Assert.That(e!.FilePath, Is.EqualTo(ConfigFile("t")));
        Assert.That(e.Message, Does.Contain("at most"));
    }

    [TestCase("bad name")]
    [TestCase("émoji😀")]
    [TestCase("..")]
    public async Task OpenAsync_ConfigFileNamedAfterAnIllegalTopic_ThrowsStorageExceptionNamingTheFile(string name)
    {
        await using (Broker broker = await Open())
            await broker.CreateTopicAsync("t");
        string file = ConfigFile(name);
        File.Copy(ConfigFile("t"), file);

        var e = Assert.ThrowsAsync<StorageException>(async () => await Open());

        Assert.That(e!.FilePath, Is.EqualTo(file));
        Assert.That(e.InnerException, Is.TypeOf<InvalidTopicException>());
        Assert.That(e.Message, Does.Contain(file));
    }

    [Test]
    public async Task OpenAsync_PartitionsLoweredInTheConfigFile_ThrowsNamingTheFileTheTopicAndBothCounts()
    {
        await using (Broker broker = await Open())
        {
            Topic t = await broker.CreateTopicAsync("t", new TopicConfig { Partitions = 3 });
            await t.Partitions[2].AppendAsync(Batches.Batch(Batches.Make(0, 5)));
        }
        File.WriteAllText(ConfigFile("t"), File.ReadAllText(ConfigFile("t")).Replace("partitions=3\n", "partitions=2\n", StringComparison.Ordinal));

        var e = Assert.ThrowsAsync<StorageException>(async () => await Open());

        Assert.That(e!.FilePath, Is.EqualTo(ConfigFile("t")));
        Assert.That(e.Message, Does.Contain("'t'").And.Contain("partitions=2").And.Contain("t-2").And.Contain("3 or more"));
        Assert.That(File.Exists(_dir.Combine("t-2", "00000000000000000000.log")), Is.True, "the data is left for the operator");
    }

    [Test]
    public async Task OpenAsync_AnEmptyDirectoryPastThePartitionCount_IsNoDataAndOpens()
    {
        await using (Broker broker = await Open())
            await broker.CreateTopicAsync("t", new TopicConfig { Partitions = 2 });
        Directory.CreateDirectory(_dir.Combine("t-5"));

        await using Broker reopened = await Open();
        Assert.That(reopened.TryGetTopic("t", out Topic? t) ? t.Partitions.Count : -1, Is.EqualTo(2));
    }

    // A source, not attributes: a lone surrogate does not survive an attribute's metadata (it becomes U+FFFD).
    private static readonly object[][] IllegalNames =
    [
        ["a😀b", "'😀' (U+1F600)"],
        ["nul\0byte", @"'\u0000' (U+0000)"],
        ["lone" + (char)0xD83D, @"'\uD83D' (U+D83D)"],
        ["rtl\u202eevil", @"'\u202E' (U+202E)"],
    ];

    [TestCaseSource(nameof(IllegalNames))]
    public async Task CreateTopicAsync_IllegalCharacter_MessagePrintsTheNameEscapedAndCodePointsWhole(string name, string shown)
    {
        await using Broker broker = await Open();

        var e = Assert.ThrowsAsync<InvalidTopicException>(async () => await broker.CreateTopicAsync(name));

        Assert.That(e!.Topic, Is.EqualTo(name), "the property keeps the name as given");
        Assert.That(e.Message, Does.Contain(shown));
        for (int i = 0; i < e.Message.Length; i++)
        {
            char c = e.Message[i];
            Assert.That(char.IsControl(c) || c is '\u202e', Is.False, $"an unescaped control character at {i}: {e.Message}");
            if (char.IsHighSurrogate(c))
                Assert.That(i + 1 < e.Message.Length && char.IsLowSurrogate(e.Message[++i]), Is.True, $"a surrogate cut in half at {i}: {e.Message}");
            else
                Assert.That(char.IsLowSurrogate(c), Is.False, $"a lone low surrogate at {i}: {e.Message}");
        }
    }
}
