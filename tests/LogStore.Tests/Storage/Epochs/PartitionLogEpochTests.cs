using LogStore.Storage.Epochs;
using LogStore.Tests.Diagnostics;
using LogStore.Tests.Reliability;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Storage.Epochs;

/// <summary>
/// A partition's leader epochs end to end: appends stamp the current epoch and record where it began, the
/// <c>leader-epoch-checkpoint</c> is written beside the recovery point, trimmed when the log start moves or the tail is
/// cut, and rebuilt from the batch headers when missing, corrupt, or behind an unclean stop.
/// </summary>
[TestFixture]
public sealed class PartitionLogEpochTests : BrokerFixture
{
    private const int RebuiltEventId = 1230;
    private CapturingLoggerFactory _logs = null!;

    [SetUp]
    public void SetUpLogs() => _logs = new CapturingLoggerFactory();

    private string EpochFile => Dir.Combine("t-0", "leader-epoch-checkpoint");

    private ValueTask<Broker> OpenAsync(string? directory = null) =>
        Broker.OpenAsync(new BrokerOptions { DataDirectory = directory ?? Dir.Path, TimeProvider = Time, LoggerFactory = _logs });

    private static async Task<Partition> PartitionAsync(Broker broker) =>
        broker.TryGetTopic("t", out Topic? topic) ? topic.Partitions[0] : (await broker.CreateTopicAsync("t", new TopicConfig())).Partitions[0];

    private static async Task AppendAsync(Partition partition, int batches)
    {
        for (int i = 0; i < batches; i++)
            await partition.AppendAsync(Batches.Batch(Batches.Make(i, 2)));
    }

    private static (int, long)[] Entries(Partition partition) =>
        [.. partition.Log.LeaderEpochCache.Entries().Select(e => (e.Epoch, e.StartOffset))];

    private static async Task<List<int>> StampedEpochs(Partition partition)
    {
        var epochs = new List<int>();
        using FetchResult fetch = await partition.ReadAsync(partition.LogStartOffset, 1 << 20);
        foreach (RecordBatch batch in fetch)
            epochs.Add(batch.PartitionLeaderEpoch);
        return epochs;
    }

    /// <summary>Epoch 0 for offsets 0–5, epoch 3 from 6: three batches of two records each, then two.</summary>
    private static async Task<Partition> TwoEpochsAsync(Broker broker)
    {
        Partition p = await PartitionAsync(broker);
        await AppendAsync(p, 3);
        p.Log.LeaderEpoch = 3;
        await AppendAsync(p, 2);
        return p;
    }

    [Test]
    public async Task Append_StampsTheCurrentEpoch_AndRecordsWhereItBegan()
    {
        await using Broker broker = await OpenAsync();
        Partition p = await TwoEpochsAsync(broker);

        Assert.That(await StampedEpochs(p), Is.EqualTo(new[] { 0, 0, 0, 3, 3 }));
        Assert.That(Entries(p), Is.EqualTo(new[] { (0, 0L), (3, 6L) }));
        Assert.That(p.Log.EndOffsetForEpoch(0), Is.EqualTo((0, 6L)));
        Assert.That(p.Log.EndOffsetForEpoch(3), Is.EqualTo((3, 10L)));
        Assert.Throws<ArgumentOutOfRangeException>(() => p.Log.LeaderEpoch = 2, "an epoch never goes back");
    }

    [Test]
    public async Task Close_WritesTheCheckpointInKafkasFormat_AndReopenReadsIt()
    {
        await using (Broker broker = await OpenAsync())
            await TwoEpochsAsync(broker);

        Assert.That(File.ReadAllText(EpochFile), Is.EqualTo("0\n2\n0 0\n3 6\n"));
        await using (Broker broker = await OpenAsync())
        {
            Partition p = await PartitionAsync(broker);
            Assert.That(Entries(p), Is.EqualTo(new[] { (0, 0L), (3, 6L) }));
            Assert.That(p.Log.LeaderEpoch, Is.EqualTo(3), "a reopened log leads the latest epoch it knows");
            await AppendAsync(p, 1);
            Assert.That((await StampedEpochs(p))[^1], Is.EqualTo(3));
        }
        Assert.That(_logs.WithId(RebuiltEventId), Is.Empty);
    }

    [Test]
    public async Task NewEpoch_IsWrittenWithoutFsync_AndTheNextFlushMakesItDurable()
    {
        var files = new PowerLossFileSystem(Dir.Path);
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = Dir.Path, FileSystem = files, TimeProvider = Time });
        Partition p = await PartitionAsync(broker);
        await AppendAsync(p, 1);
        Assert.That(File.ReadAllText(EpochFile), Is.EqualTo("0\n1\n0 0\n"), "written when the epoch began");

        using (var image = new TempDirectory())
        {
            files.WriteImage(image.Path, new Random(1), torn: false, PowerLossFileSystem.Entries.Current);
            Assert.That(File.ReadAllText(Path.Combine(image.Path, "t-0", "leader-epoch-checkpoint")), Is.Empty,
                "a power loss now may leave the name without the bytes: the next open rebuilds");
        }
        await p.FlushAsync();
        using (var image = new TempDirectory())
        {
            files.WriteImage(image.Path, new Random(1), torn: false, PowerLossFileSystem.Entries.Durable);
            Assert.That(File.ReadAllText(Path.Combine(image.Path, "t-0", "leader-epoch-checkpoint")), Is.EqualTo("0\n1\n0 0\n"));
        }
    }

    [Test]
    public async Task NewEmptyPartition_WritesNoEpochFile()
    {
        await using (Broker broker = await OpenAsync())
            await PartitionAsync(broker);
        Assert.That(File.Exists(EpochFile), Is.False);
    }

    [TestCase(null, TestName = "Open_EpochFileMissing_RebuildsFromTheBatchHeaders")]
    [TestCase("0\n5\n0 0\n", TestName = "Open_EpochFileCorrupt_RebuildsFromTheBatchHeaders")]
    [TestCase("\0\0\0\0", TestName = "Open_EpochFileGarbage_RebuildsFromTheBatchHeaders")]
    public async Task Open_BadEpochFile_IsRebuilt_Logged_AndRewritten(string? contents)
    {
        await using (Broker broker = await OpenAsync())
            await TwoEpochsAsync(broker);
        if (contents is null)
            File.Delete(EpochFile);
        else
            File.WriteAllText(EpochFile, contents);

        await using (Broker broker = await OpenAsync())
        {
            Partition p = await PartitionAsync(broker);
            Assert.That(Entries(p), Is.EqualTo(new[] { (0, 0L), (3, 6L) }));
            Assert.That(p.LogEndOffset, Is.EqualTo(10), "no data cut");
        }
        Assert.That(_logs.WithId(RebuiltEventId), Has.Count.EqualTo(1));
        Assert.That(File.ReadAllText(EpochFile), Is.EqualTo("0\n2\n0 0\n3 6\n"), "rewritten at close");
    }

    [Test]
    public async Task Open_EntriesPastTheLogEnd_AreTruncatedFromTheEnd()
    {
        await using (Broker broker = await OpenAsync())
            await AppendAsync(await PartitionAsync(broker), 2);
        // As a log whose tail recovery cut after the epoch file had recorded an epoch there.
        File.WriteAllText(EpochFile, "0\n3\n0 0\n4 4\n9 1000\n");

        await using Broker reopened = await OpenAsync();
        Partition p = await PartitionAsync(reopened);

        Assert.That(Entries(p), Is.EqualTo(new[] { (0, 0L) }));
        Assert.That(p.Log.LeaderEpoch, Is.EqualTo(0));
    }

    [Test]
    public async Task DeleteRecords_TruncatesFromStart_AndTheFileFollows()
    {
        await using (Broker broker = await OpenAsync())
        {
            Partition p = await TwoEpochsAsync(broker);
            p.Log.DeleteRecordsBefore(7);
            Assert.That(Entries(p), Is.EqualTo(new[] { (3, 7L) }));
            Assert.That(p.Log.EndOffsetForEpoch(1), Is.EqualTo((1, 7L)), "an epoch before the first left: the log start");
            Assert.That(File.ReadAllText(EpochFile), Is.EqualTo("0\n1\n3 7\n"), "written with the log start checkpoint");
        }
    }

    [Test]
    public async Task UncleanStop_EpochsPastTheRecoveryPoint_AreScannedBack()
    {
        using var source = new TempDirectory();
        Broker running = await OpenAsync(source.Path);
        Partition p = await PartitionAsync(running);
        await AppendAsync(p, 3);
        await p.FlushAsync();               // the epoch file holds (0, 0), durably, and the recovery point is 6
        p.Log.LeaderEpoch = 5;
        await AppendAsync(p, 2);            // epoch 5 from offset 6, neither flushed nor checkpointed
        using TempDirectory crashed = source.CrashImage();
        await running.DisposeAsync();
        // Epoch 5's entry was written without fsync when it began: as a power loss may leave it, the file lacks it.
        string epochFile = Path.Combine(crashed.Path, "t-0", "leader-epoch-checkpoint");
        Assert.That(File.ReadAllText(epochFile), Is.EqualTo("0\n2\n0 0\n5 6\n"));
        File.WriteAllText(epochFile, "0\n1\n0 0\n");

        await using Broker reopened = await OpenAsync(crashed.Path);
        Partition recovered = await PartitionAsync(reopened);

        Assert.That(Entries(recovered), Is.EqualTo(new[] { (0, 0L), (5, 6L) }));
        Assert.That(recovered.Log.LeaderEpoch, Is.EqualTo(5));
        Assert.That(_logs.WithId(RebuiltEventId), Is.Empty, "a scan of the recovered tail, not a rebuild");
    }

    [Test]
    public async Task ReadOnlyOpen_RebuildsInMemory_AndWritesNothing()
    {
        await using (Broker broker = await OpenAsync())
            await TwoEpochsAsync(broker);
        File.Delete(EpochFile);

        await using (Broker readOnly = await Broker.OpenReadOnlyAsync(new BrokerOptions { DataDirectory = Dir.Path, TimeProvider = Time }))
        {
            Partition p = await PartitionAsync(readOnly);
            Assert.That(Entries(p), Is.EqualTo(new[] { (0, 0L), (3, 6L) }));
            Assert.That(p.Log.EndOffsetForEpoch(0), Is.EqualTo((0, 6L)));
        }
        Assert.That(File.Exists(EpochFile), Is.False);
    }
}
