using LogStore.Storage.Files;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Reliability;

/// <summary>
/// Issue 18 item 4's class of damage, a create that fails part-way: the matrix fails every file operation a create
/// makes, one at a time (the Nth, for every N), with ENOSPC and with EMFILE, once or from then on (a disk that stays
/// full while the create rolls back). After each: the create either succeeded whole or threw a typed error and left
/// nothing (no configuration, no partition directory); the store's other topic is untouched; the store reopens; and
/// a retry of the create succeeds.
/// </summary>
[TestFixture]
public sealed class TopicCreateFaultTests
{
    private const int Emfile = 24;
    private const int Partitions = 4;
    private static readonly TopicConfig Config = new() { Partitions = Partitions, SegmentIndexBytes = 4096 };

    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private static ValueTask<Broker> Open(string data, FileSystem files) =>
        Broker.OpenAsync(new BrokerOptions { DataDirectory = data, FileSystem = files });

    /// <summary>A store with topic "keep" holding 3 records; returns its directory.</summary>
    private async Task<string> StoreWithAnotherTopic(string name)
    {
        string data = _dir.Combine(name);
        await using Broker broker = await Open(data, FileSystem.Disk);
        Topic keep = await broker.CreateTopicAsync("keep");
        await keep.Partitions[0].AppendAsync(Batches.Batch(Batches.Make(0, 3)));
        return data;
    }

    /// <summary>How many file operations creating the topic makes, counted on a healthy disk.</summary>
    private async Task<int> OperationsOfACreate()
    {
        string data = await StoreWithAnotherTopic("count");
        var files = new NthOperationFileSystem(DiskErrors.Enospc, persistent: false);
        await using Broker broker = await Open(data, files);
        int before = files.Count;
        await broker.CreateTopicAsync("t", Config);
        return files.Count - before;
    }

    [TestCase(DiskErrors.Enospc, false)]
    [TestCase(DiskErrors.Enospc, true)]
    [TestCase(Emfile, false)]
    [TestCase(Emfile, true)]
    public async Task CreateTopicAsync_EveryFileOperationFailingInTurn_IsAllOrNothingAndARetrySucceeds(int errno, bool persistent)
    {
        int operations = await OperationsOfACreate();
        Assert.That(operations, Is.GreaterThan(Partitions), "the create goes through the file seam");
        int failed = 0;
        for (int n = 1; n <= operations; n++)
        {
            string data = await StoreWithAnotherTopic($"n{n}");
            var files = new NthOperationFileSystem(errno, persistent);
            bool created;
            await using (Broker broker = await Open(data, files))
            {
                files.FailAt = files.Count + n;
                try
                {
                    await broker.CreateTopicAsync("t", Config);
                    created = true;
                }
                catch (StorageException e)
                {
                    created = false;
                    failed++;
                    Assert.That(e.InnerException, Is.InstanceOf<IOException>(), $"operation {n}: {e}");
                    Assert.That(broker.TryGetTopic("t", out _), Is.False, $"operation {n}");
                    AssertNothingLeft(data, n);
                }
                files.Heal();
                if (!created)
                {
                    // The same broker, at once: nothing of the failed attempt is in the way.
                    await broker.CreateTopicAsync("t", Config);
                }
            }

            await using (Broker reopened = await Open(data, FileSystem.Disk))
            {
                Assert.That(reopened.TryGetTopic("keep", out Topic? keep) ? keep.Partitions[0].LogEndOffset : -1, Is.EqualTo(3), $"operation {n}");
                Assert.That(reopened.TryGetTopic("t", out Topic? t), Is.True, $"operation {n}");
                Assert.That(t!.Partitions.Select(p => p.IsOffline), Is.All.False, $"operation {n}");
                AppendResult appended = await t.Partitions[Partitions - 1].AppendAsync(Batches.Batch(Batches.Make(0, 2)));
                Assert.That(appended.BaseOffset, Is.Zero, $"operation {n}");
            }
        }
        TestContext.Out.WriteLine($"errno {errno}, persistent {persistent}: {operations} operations, {failed} creates failed and were rolled back");
        Assert.That(failed, Is.GreaterThan(operations / 2), "most failure points fail the create");
    }

    private static void AssertNothingLeft(string data, int n)
    {
        Assert.That(File.Exists(Path.Combine(data, "topic-configs", "t.conf")), Is.False, $"operation {n}: the configuration is removed");
        Assert.That(Directory.EnumerateFiles(Path.Combine(data, "topic-configs"), "*.tmp"), Is.Empty, $"operation {n}");
        Assert.That(Directory.EnumerateDirectories(data, "t-*").Select(Path.GetFileName), Is.Empty, $"operation {n}: the partition directories are removed");
    }
}
