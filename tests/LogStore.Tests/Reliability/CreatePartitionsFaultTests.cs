using LogStore.Storage.Files;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Reliability;

/// <summary>
/// <see cref="Broker.CreatePartitionsAsync"/> that fails part-way, as <see cref="TopicCreateFaultTests"/> does for a
/// create: every file operation of growing a topic from 1 to 4 partitions fails in turn (the Nth, for every N), once or
/// from then on. After each: the call either succeeded whole or threw a typed error with the topic still at 1 partition
/// in memory and no new partition directory on disk (and, when the disk healed at once, its configuration back at 1); its
/// records are untouched; a retry succeeds; and the store reopens with 4 partitions.
/// </summary>
[TestFixture]
public sealed class CreatePartitionsFaultTests
{
    private const int Grown = 4;

    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private static ValueTask<Broker> Open(string data, FileSystem files) =>
        Broker.OpenAsync(new BrokerOptions { DataDirectory = data, FileSystem = files });

    /// <summary>A store with topic "t" of one partition holding 3 records; returns its directory.</summary>
    private async Task<string> StoreWithTopic(string name)
    {
        string data = _dir.Combine(name);
        await using Broker broker = await Open(data, FileSystem.Disk);
        Topic t = await broker.CreateTopicAsync("t", new TopicConfig { SegmentIndexBytes = 4096 });
        await t.Partitions[0].AppendAsync(Batches.Batch(Batches.Make(0, 3)));
        return data;
    }

    private async Task<int> OperationsOfAGrowth()
    {
        string data = await StoreWithTopic("count");
        var files = new NthOperationFileSystem(DiskErrors.Enospc, persistent: false);
        await using Broker broker = await Open(data, files);
        int before = files.Count;
        await broker.CreatePartitionsAsync("t", Grown);
        return files.Count - before;
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task CreatePartitionsAsync_EveryFileOperationFailingInTurn_IsAllOrNothingAndARetrySucceeds(bool persistent)
    {
        int operations = await OperationsOfAGrowth();
        Assert.That(operations, Is.GreaterThan(Grown), "growing goes through the file seam");
        int failed = 0;
        for (int n = 1; n <= operations; n++)
        {
            string data = await StoreWithTopic($"n{n}");
            var files = new NthOperationFileSystem(DiskErrors.Enospc, persistent);
            await using (Broker broker = await Open(data, files))
            {
                Topic t = broker.Topics.Single();
                files.FailAt = files.Count + n;
                try
                {
                    await broker.CreatePartitionsAsync("t", Grown);
                }
                catch (StorageException e)
                {
                    failed++;
                    Assert.That(e.InnerException, Is.InstanceOf<IOException>(), $"operation {n}: {e}");
                    Assert.That((t.Partitions.Count, t.Config.Partitions), Is.EqualTo((1, 1)), $"operation {n}");
                    Assert.That(Directory.EnumerateDirectories(data, "t-*").Select(Path.GetFileName), Is.EqualTo(new[] { "t-0" }),
                        $"operation {n}: the new partition directories are removed");
                    if (!persistent)
                        Assert.That(File.ReadAllText(Path.Combine(data, "topic-configs", "t.conf")), Does.Contain("partitions=1\n"), $"operation {n}");
                    files.Heal();
                    await broker.CreatePartitionsAsync("t", Grown);
                }
                Assert.That(t.Partitions, Has.Count.EqualTo(Grown), $"operation {n}");
            }

            await using Broker reopened = await Open(data, FileSystem.Disk);
            Topic again = reopened.Topics.Single();
            Assert.That(again.Partitions.Select(p => p.IsOffline), Is.EqualTo(Enumerable.Repeat(false, Grown)), $"operation {n}");
            Assert.That(again.Partitions[0].LogEndOffset, Is.EqualTo(3), $"operation {n}");
            AppendResult appended = await again.Partitions[Grown - 1].AppendAsync(Batches.Batch(Batches.Make(0, 2)));
            Assert.That(appended.BaseOffset, Is.Zero, $"operation {n}");
        }
        TestContext.Out.WriteLine($"persistent {persistent}: {operations} operations, {failed} growths failed and were rolled back");
        Assert.That(failed, Is.GreaterThan(operations / 2), "most failure points fail the growth");
    }
}
