using LogStore.Tests.TestSupport;

namespace LogStore.Tests;

[TestFixture]
public sealed partial class BrokerTests
{
    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private ValueTask<Broker> Open() => Broker.OpenAsync(new BrokerOptions { DataDirectory = _dir.Path });

    [Test]
    public async Task OpenAsync_AfterCleanClose_FindsTopicsPartitionsOffsetsAndConfigs()
    {
        var config = new TopicConfig
        {
            Partitions = 3,
            SegmentBytes = 1000,
            RetentionTime = null,
            RetentionBytes = 123456,
            CleanupPolicy = CleanupPolicy.CompactAndDelete,
            FlushMessages = 7,
            FlushInterval = TimeSpan.FromMilliseconds(1500),
            MaxMessageBytes = 5000,
            IndexIntervalBytes = 100,
            SegmentIndexBytes = 4096,
            SegmentRollTime = TimeSpan.FromHours(3),
        };
        await using (Broker broker = await Open())
        {
            Topic t = await broker.CreateTopicAsync("orders", config);
            await broker.CreateTopicAsync("audit.log_v2");
            for (int i = 0; i < 30; i++)
                await t.Partitions[i % 3].AppendAsync(Batches.Batch(Batches.Make(i * 5, 5)));
        }
        await using (Broker broker = await Open())
        {
            Assert.That(broker.Topics.Select(t => t.Name).Order(), Is.EqualTo(new[] { "audit.log_v2", "orders" }));
            Assert.That(broker.TryGetTopic("orders", out Topic? t), Is.True);
            Assert.That(t!.Config, Is.EqualTo(config).UsingPropertiesComparer());
            Assert.That(t.Partitions.Select(p => p.LogEndOffset), Is.EqualTo(new long[] { 50, 50, 50 }));
            Assert.That(t.Partitions[0].Segments.Count, Is.GreaterThan(1));
            var records = await Batches.ReadAll(t.Partitions[1]);
            Assert.That(records.Select(r => r.Key).Take(5), Is.EqualTo(new[] { "k5", "k6", "k7", "k8", "k9" }));
            await t.Partitions[1].AppendAsync(Batches.Batch(Batches.Make(1000, 1)));
            Assert.That(t.Partitions[1].LogEndOffset, Is.EqualTo(51));
        }
    }

    [Test]
    public async Task OpenAsync_WhileAnotherBrokerHoldsTheDirectory_ThrowsStoreLocked()
    {
        await using Broker first = await Open();
        await first.CreateTopicAsync("t");
        var e = Assert.ThrowsAsync<StoreLockedException>(async () => await Open());
        Assert.That(e!.DataDirectory, Is.EqualTo(Path.GetFullPath(_dir.Path)));
        Assert.That(File.Exists(_dir.Combine("t-0", "00000000000000000000.log")), Is.True, "nothing was touched");
    }

    [Test]
    public async Task OpenAsync_AfterTheHolderIsDisposed_Succeeds()
    {
        Broker first = await Open();
        await first.DisposeAsync();
        await using Broker second = await Open();
        Assert.That(second.Topics, Is.Empty);
    }

    [TestCase("")]
    [TestCase(".")]
    [TestCase("..")]
    [TestCase("../escape")]
    [TestCase("a/b")]
    [TestCase("a\\b")]
    [TestCase("with space")]
    [TestCase("émoji")]
    [TestCase("nul\0byte")]
    public async Task CreateTopicAsync_IllegalName_ThrowsInvalidTopicAndCreatesNothing(string name)
    {
        await using Broker broker = await Open();
        Assert.ThrowsAsync<InvalidTopicException>(async () => await broker.CreateTopicAsync(name));
        Assert.ThrowsAsync<InvalidTopicException>(async () => await broker.GetOrCreateTopicAsync(name));
        Assert.That(Directory.EnumerateDirectories(_dir.Path).Select(Path.GetFileName), Is.Empty);
    }

    [Test]
    public async Task CreateTopicAsync_NameLengthLimitIs249()
    {
        await using Broker broker = await Open();
        Assert.ThrowsAsync<InvalidTopicException>(async () => await broker.CreateTopicAsync(new string('a', 250)));
        Topic t = await broker.CreateTopicAsync(new string('a', 249));
        Assert.That(t.Name, Has.Length.EqualTo(249));
    }

    [Test]
    public async Task CreateTopicAsync_Twice_ThrowsTopicExists()
    {
        await using Broker broker = await Open();
        await broker.CreateTopicAsync("t");
        Assert.ThrowsAsync<TopicExistsException>(async () => await broker.CreateTopicAsync("t"));
        Topic again = await broker.GetOrCreateTopicAsync("t", new TopicConfig { Partitions = 5 });
        Assert.That(again.Partitions, Has.Count.EqualTo(1), "an existing topic keeps its configuration");
    }

    [Test]
    public async Task CreateTopicAsync_InvalidConfig_ThrowsArgumentOutOfRange()
    {
        await using Broker broker = await Open();
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await broker.CreateTopicAsync("t", new TopicConfig { Partitions = 0 }));
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await broker.CreateTopicAsync("t", new TopicConfig { SegmentBytes = 1 }));
        Assert.That(broker.TryGetTopic("t", out _), Is.False);
    }

    [Test]
    public async Task DeleteTopicAsync_RemovesDataAndConfig_AndTheNameCanBeReused()
    {
        await using (Broker broker = await Open())
        {
            Topic t = await broker.CreateTopicAsync("t", new TopicConfig { Partitions = 2 });
            await t.Partitions[0].AppendAsync(Batches.Batch(Batches.Make(0, 5)));
            await broker.DeleteTopicAsync("t");
            Assert.That(broker.TryGetTopic("t", out _), Is.False);
            Assert.That(Directory.Exists(_dir.Combine("t-0")), Is.False);
            Assert.ThrowsAsync<ObjectDisposedException>(async () => await t.Partitions[0].ReadAsync(0, 10));
            Assert.ThrowsAsync<UnknownTopicException>(async () => await broker.DeleteTopicAsync("t"));
            Topic again = await broker.CreateTopicAsync("t");
            Assert.That(again.Partitions[0].LogEndOffset, Is.Zero);
        }
        await using (Broker broker = await Open())
            Assert.That(broker.Topics.Select(t => t.Name), Is.EqualTo(new[] { "t" }));
    }

    [Test]
    public async Task OpenAsync_UserFolderNamedLikeAPartition_IsLeftAloneAndTheStoreOpens()
    {
        await using (Broker broker = await Open())
            await broker.CreateTopicAsync("t");
        string notes = _dir.Combine("notes-1");
        Directory.CreateDirectory(notes);
        File.WriteAllText(Path.Combine(notes, "todo.txt"), "mine");

        await using (Broker broker = await Open())
            Assert.That(broker.Topics.Select(t => t.Name), Is.EqualTo(new[] { "t" }));

        Assert.That(File.ReadAllText(Path.Combine(notes, "todo.txt")), Is.EqualTo("mine"));
    }

    [Test]
    public async Task OpenAsync_PartitionDirectoryWithoutItsTopicConfig_ThrowsNamingTheConfigFile()
    {
        await using (Broker broker = await Open())
        {
            Topic t = await broker.CreateTopicAsync("t");
            await t.Partitions[0].AppendAsync(Batches.Batch(Batches.Make(0, 3)));
        }
        string config = _dir.Combine("topic-configs", "t.conf");
        File.Delete(config);

        var e = Assert.ThrowsAsync<StorageException>(async () => await Open());

        Assert.That(e!.FilePath, Is.EqualTo(config));
    }

    [Test]
    public async Task OpenAsync_DamagedTopicConfig_ThrowsStorageExceptionNamingTheFile()
    {
        await using (Broker broker = await Open())
            await broker.CreateTopicAsync("t");
        string file = _dir.Combine("topic-configs", "t.conf");
        string original = File.ReadAllText(file);
        File.WriteAllText(file, "partitions=banana\n");
        var e = Assert.ThrowsAsync<StorageException>(async () => await Open());
        Assert.That(e!.FilePath, Is.EqualTo(file));
        // The failed open released the lock.
        File.WriteAllText(file, original);
        await using Broker reopened = await Open();
    }

    [Test]
    public async Task FlushAsync_AdvancesEveryPartitionsRecoveryPoint()
    {
        await using Broker broker = await Open();
        Topic t = await broker.CreateTopicAsync("t", new TopicConfig { Partitions = 2 });
        await t.Partitions[0].AppendAsync(Batches.Batch(Batches.Make(0, 4)));
        await t.Partitions[1].AppendAsync(Batches.Batch(Batches.Make(0, 2)));
        await broker.FlushAsync();
        Assert.That(t.Partitions.Select(p => p.Log.RecoveryPoint), Is.EqualTo(new long[] { 4, 2 }));
    }

    [Test]
    public async Task CreateTopicAsync_AfterACleanReopen_CreatesAWorkingTopicThatReopens()
    {
        await using (Broker broker = await Open())
            await broker.CreateTopicAsync("first");
        // This open skips recovery (clean shutdown): the new partition's indexes must still be created.
        await using (Broker broker = await Open())
        {
            Topic t = await broker.CreateTopicAsync("second");
            await t.Partitions[0].AppendAsync(Batches.Batch(Batches.Make(0, 3)));
        }
        await using (Broker broker = await Open())
        {
            Assert.That(broker.TryGetTopic("second", out Topic? t), Is.True);
            Assert.That(t!.Partitions[0].LogEndOffset, Is.EqualTo(3));
        }
    }
}
