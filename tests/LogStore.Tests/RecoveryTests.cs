using LogStore.Tests.TestSupport;

namespace LogStore.Tests;

/// <summary>Opening after an unclean stop: a crash image (the files as they are while a Broker runs) is damaged in
/// every way a crash or a disk can, then opened.</summary>
[TestFixture]
public sealed partial class RecoveryTests
{
    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private static ValueTask<Broker> Open(string path) => Broker.OpenAsync(new BrokerOptions { DataDirectory = path });

    private static Partition PartitionOf(Broker broker) => broker.Topics.Single().Partitions[0];

    /// <summary>Writes <paramref name="batches"/> batches of 4 records, flushing after <paramref name="flushAfter"/>, and
    /// returns a crash image taken while the broker is still open.</summary>
    private async Task<TempDirectory> CrashAfter(int batches, int flushAfter, TopicConfig? config = null)
    {
        await using Broker broker = await Open(_dir.Path);
        Topic t = await broker.CreateTopicAsync("t", config ?? new TopicConfig { IndexIntervalBytes = 64 });
        for (int i = 0; i < batches; i++)
        {
            await t.Partitions[0].AppendAsync(Batches.Batch(Batches.Make(i * 4, 4)));
            if (i + 1 == flushAfter)
                await t.Partitions[0].FlushAsync();
        }
        return _dir.CrashImage();
    }

    private static string ActiveLog(TempDirectory image) =>
        Directory.GetFiles(image.Combine("t-0"), "*.log").Order().Last();

    private static async Task AssertRecords(Partition p, int count)
    {
        var records = await Batches.ReadAll(p);
        Assert.That(records.Select(r => r.Offset), Is.EqualTo(Enumerable.Range(0, count).Select(i => (long)i)));
        Assert.That(records.Select(r => r.Key), Is.EqualTo(Enumerable.Range(0, count).Select(i => $"k{i}")));
    }

    [Test]
    public async Task Open_CrashImageWithoutDamage_KeepsEverythingAndContinues()
    {
        using TempDirectory image = await CrashAfter(20, flushAfter: 10);
        await using Broker broker = await Open(image.Path);
        Partition p = PartitionOf(broker);
        Assert.That(p.LogEndOffset, Is.EqualTo(80));
        await AssertRecords(p, 80);
        AppendResult next = await p.AppendAsync(Batches.Batch(Batches.Make(80, 2)));
        Assert.That(next.BaseOffset, Is.EqualTo(80));
        await AssertRecords(p, 82);
    }

    [Test]
    public async Task Open_TailTruncatedAtEveryByteOfTheLastBatch_DropsOnlyThatBatchKeepingItBeside()
    {
        using TempDirectory image = await CrashAfter(6, flushAfter: 5);
        string log = ActiveLog(image);
        byte[] full = File.ReadAllBytes(log);
        int lastBatch = Batches.Make(20, 4).Length;
        for (int cut = 1; cut <= lastBatch; cut++)
        {
            using TempDirectory copy = image.CrashImage();
            File.WriteAllBytes(ActiveLog(copy), full[..^cut]);
            await using Broker broker = await Open(copy.Path);
            Partition p = PartitionOf(broker);
            Assert.That(p.LogEndOffset, Is.EqualTo(20), $"cut {cut}");
            Assert.That(p.Segments[^1].SizeInBytes, Is.EqualTo(full.Length - lastBatch), $"cut {cut}");
            // Past the recovery point, so cut; but kept beside the segment until an operator removes it.
            string kept = $"{ActiveLog(copy)}.cut-{full.Length - lastBatch}";
            if (cut < lastBatch)
                Assert.That(File.ReadAllBytes(kept), Is.EqualTo(full[(full.Length - lastBatch)..^cut]), $"cut {cut}");
            else
                Assert.That(File.Exists(kept), Is.False, "nothing to cut at a batch boundary");
            await AssertRecords(p, 20);
            Assert.That((await p.AppendAsync(Batches.Batch(Batches.Make(20, 1)))).BaseOffset, Is.EqualTo(20));
        }
    }

    [Test]
    public async Task Open_FlippedByteInsideABatchPastTheRecoveryPoint_TruncatesFromThatBatch()
    {
        using TempDirectory image = await CrashAfter(10, flushAfter: 2);
        string log = ActiveLog(image);
        byte[] bytes = File.ReadAllBytes(log);
        int batchSize = Batches.Make(0, 4).Length;
        bytes[batchSize * 6 + 70] ^= 0x10; // inside the 7th batch's records
        File.WriteAllBytes(log, bytes);
        await using Broker broker = await Open(image.Path);
        Partition p = PartitionOf(broker);
        Assert.That(p.LogEndOffset, Is.EqualTo(24));
        await AssertRecords(p, 24);
    }

    [Test]
    public async Task Read_FlippedByteInAFlushedSegmentAfterCleanClose_ThrowsCorruptRecordNeverData()
    {
        int batchSize = Batches.Make(0, 4).Length;
        await using (Broker broker = await Open(_dir.Path))
        {
            // Five batches per segment: the damaged one is in an inactive segment, which a clean open trusts (the active
            // segment's tail is checked at open and recovered instead, see CorruptedFilesTests).
            Topic t = await broker.CreateTopicAsync("t", new TopicConfig { SegmentBytes = batchSize * 5 });
            for (int i = 0; i < 8; i++)
                await t.Partitions[0].AppendAsync(Batches.Batch(Batches.Make(i * 4, 4)));
        }
        string log = _dir.Combine("t-0", "00000000000000000000.log");
        byte[] bytes = File.ReadAllBytes(log);
        bytes[batchSize * 2 + 75] ^= 0x01;
        File.WriteAllBytes(log, bytes);

        await using (Broker broker = await Open(_dir.Path))
        {
            Partition p = PartitionOf(broker);
            using (FetchResult ok = await p.ReadAsync(0, batchSize))
                Assert.That(ok.BatchCount, Is.EqualTo(1), "undamaged data before the damage stays readable");
            var e = Assert.ThrowsAsync<CorruptRecordException>(async () => await p.ReadAsync(8, 1 << 20));
            Assert.That(e!.FilePath, Is.EqualTo(log));
            Assert.That(e.Position, Is.EqualTo(batchSize * 2));
            Assert.That(e.Offset, Is.EqualTo(8));
            // A read from before the damage returns the valid batches up to it, then the next read reports it.
            using (FetchResult upToDamage = await p.ReadAsync(0, 1 << 20))
                Assert.That(upToDamage.BatchCount, Is.EqualTo(2));
        }
    }

    [TestCase(".index")]
    [TestCase(".timeindex")]
    public async Task Open_IndexDeleted_RebuildsItAndReadsEveryOffset(string suffix)
    {
        using TempDirectory image = await CrashAfter(30, flushAfter: 30, new TopicConfig { IndexIntervalBytes = 64, SegmentBytes = 1500 });
        foreach (string file in Directory.GetFiles(image.Combine("t-0"), "*" + suffix))
            File.Delete(file);
        await using Broker broker = await Open(image.Path);
        Partition p = PartitionOf(broker);
        await AssertRecords(p, 120);
        Assert.That(p.OffsetForTimestamp(DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime + 2)), Is.EqualTo(2));
        foreach (SegmentInfo s in p.Segments)
            Assert.That(File.Exists(suffix == ".index" ? s.IndexPath : s.TimeIndexPath), Is.True);
    }

    [Test]
    public async Task Open_IndexesZeroedAfterCleanClose_RebuildsThemAndFindsEveryOffset()
    {
        await using (Broker broker = await Open(_dir.Path))
        {
            Topic t = await broker.CreateTopicAsync("t", new TopicConfig { IndexIntervalBytes = 64, SegmentBytes = 1500 });
            for (int i = 0; i < 30; i++)
                await t.Partitions[0].AppendAsync(Batches.Batch(Batches.Make(i * 4, 4, timestamp: Batches.BaseTime + i * 100)));
        }
        foreach (string file in Directory.GetFiles(_dir.Combine("t-0"), "*index"))
            File.WriteAllBytes(file, new byte[new FileInfo(file).Length]);
        await using (Broker broker = await Open(_dir.Path))
        {
            Partition p = PartitionOf(broker);
            Assert.That(p.Segments.Count, Is.GreaterThan(2));
            await AssertRecords(p, 120);
            Assert.That(p.OffsetForTimestamp(DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime + 2301)), Is.EqualTo(93));
            Assert.That(p.Segments.Select(s => s.LargestTimestamp).Last(), Is.EqualTo(Batches.BaseTime + 2903));
        }
    }

    [Test]
    public async Task Open_GarbageAppendedToTheLog_TruncatesTheGarbage()
    {
        using TempDirectory image = await CrashAfter(5, flushAfter: 5);
        string log = ActiveLog(image);
        long size = new FileInfo(log).Length;
        using (var stream = new FileStream(log, FileMode.Append))
            stream.Write(Enumerable.Range(0, 333).Select(i => (byte)(i * 37)).ToArray());
        await using Broker broker = await Open(image.Path);
        Partition p = PartitionOf(broker);
        Assert.That(p.Segments[^1].SizeInBytes, Is.EqualTo(size));
        await AssertRecords(p, 20);
    }

    [Test]
    public async Task Open_ZeroFilledTail_LikeAPreallocatedOrTornPage_IsTruncated()
    {
        using TempDirectory image = await CrashAfter(5, flushAfter: 5);
        string log = ActiveLog(image);
        long size = new FileInfo(log).Length;
        using (var stream = new FileStream(log, FileMode.Append))
            stream.Write(new byte[4096]);
        await using Broker broker = await Open(image.Path);
        Assert.That(PartitionOf(broker).Segments[^1].SizeInBytes, Is.EqualTo(size));
    }

    /// <summary>A power loss can drop the last batches of a rolled segment that was never fsynced without leaving any
    /// invalid byte: the file just ends at a batch boundary (or is empty), below the next segment's base offset.</summary>
    [TestCase(0)]
    [TestCase(1)]
    [TestCase(2)]
    public async Task Open_RolledSegmentLostItsLastBatchesCleanly_EndsTheLogThere_WithNoHole(int batchesKept)
    {
        using TempDirectory image = await CrashAfter(60, flushAfter: 0, new TopicConfig { IndexIntervalBytes = 64, SegmentBytes = 1500 });
        string[] logs = [.. Directory.GetFiles(image.Combine("t-0"), "*.log").Order()];
        Assert.That(logs, Has.Length.GreaterThan(3));
        string damaged = logs[^3];
        long damagedBase = long.Parse(Path.GetFileNameWithoutExtension(damaged), System.Globalization.CultureInfo.InvariantCulture);
        byte[] bytes = File.ReadAllBytes(damaged);
        int cut = 0;
        for (int b = 0; b < batchesKept; b++)
            cut += RecordBatch.LogOverhead + System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(cut + 8));
        File.WriteAllBytes(damaged, bytes[..cut]);
        // The checkpoint must not vouch for the damaged segment (it would not, had it not been flushed).
        CheckpointFiles.DeleteRecoveryPoints(image.Path);

        await using Broker broker = await Open(image.Path);
        Partition p = PartitionOf(broker);
        long end = damagedBase + batchesKept * 4;
        Assert.That(p.LogEndOffset, Is.EqualTo(end));
        Assert.That(p.Segments[^1].BaseOffset, Is.EqualTo(damagedBase), "the segments after the damaged one are gone");
        await AssertRecords(p, (int)end);
        Assert.That((await p.AppendAsync(Batches.Batch(Batches.Make((int)end, 2)))).BaseOffset, Is.EqualTo(end));
        await AssertRecords(p, (int)end + 2);
    }

    [Test]
    public async Task Open_CheckpointMissing_RecoversEverySegment()
    {
        using TempDirectory image = await CrashAfter(30, flushAfter: 30, new TopicConfig { SegmentBytes = 1500 });
        CheckpointFiles.DeleteRecoveryPoints(image.Path);
        string first = Directory.GetFiles(image.Combine("t-0"), "*.log").Order().First();
        byte[] bytes = File.ReadAllBytes(first);
        File.WriteAllBytes(first, bytes[..^5]);
        await using Broker broker = await Open(image.Path);
        Partition p = PartitionOf(broker);
        // The first segment lost its last batch; everything after a damaged segment is dropped.
        Assert.That(p.Segments, Has.Count.EqualTo(1));
        Assert.That(p.LogEndOffset, Is.EqualTo(p.Segments[0].NextOffset));
        await AssertRecords(p, (int)p.LogEndOffset);
    }

    [Test]
    public async Task Open_PreallocatedActiveIndexAfterCrash_IsNotTakenAsFull()
    {
        using TempDirectory image = await CrashAfter(3, flushAfter: 0, new TopicConfig { IndexIntervalBytes = 0, SegmentIndexBytes = 1024 });
        Assert.That(new FileInfo(image.Combine("t-0", "00000000000000000000.index")).Length, Is.EqualTo(1024), "crash image keeps the preallocation");
        await using Broker broker = await Open(image.Path);
        Partition p = PartitionOf(broker);
        for (int i = 3; i < 20; i++)
            await p.AppendAsync(Batches.Batch(Batches.Make(i * 4, 4)));
        Assert.That(p.Segments, Has.Count.EqualTo(1), "a zero-filled preallocated index would have looked full and rolled");
        await AssertRecords(p, 80);
    }
}
