using LogStore.Tests.Diagnostics;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests;

/// <summary>Issue 18, items 1 and 6: recovery never erases a byte below the recovery point, the log end never moves
/// back below it, no offset is handed out twice, and what is cut past it is kept beside the segment.</summary>
public sealed partial class RecoveryTests
{
    private const int RecordsPerProduce = 1000;
    private const int RecordsPerBatch = 25;

    /// <summary>The store: three flushed "produces" of 1,000 records each (batches of 25), in one segment.</summary>
    private static async Task ProduceThreeThousand(Partition p)
    {
        for (int produce = 0; produce < 3; produce++)
        {
            for (int first = produce * RecordsPerProduce; first < (produce + 1) * RecordsPerProduce; first += RecordsPerBatch)
                await p.AppendAsync(Batches.Batch(Batches.Make(first, RecordsPerBatch)));
            await p.FlushAsync();
        }
    }

    private static Dictionary<string, byte[]> LogFiles(string partitionDirectory) =>
        Directory.GetFiles(partitionDirectory, "*.log").ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);

    private static void FlipBit(string file, long position, int bit = 2)
    {
        byte[] bytes = File.ReadAllBytes(file);
        bytes[position] ^= (byte)(1 << bit);
        File.WriteAllBytes(file, bytes);
    }

    private static List<(long Base, long Next)> BatchesOf(FetchResult fetch)
    {
        var batches = new List<(long, long)>();
        foreach (RecordBatch batch in fetch)
            batches.Add((batch.BaseOffset, batch.NextOffset));
        return batches;
    }

    private static async Task AssertReadsUpTo(Partition p, long end, long from = 0)
    {
        for (long offset = from; offset < end; offset += RecordsPerBatch)
        {
            using FetchResult fetch = await p.ReadAsync(offset, 1);
            Assert.That(fetch.BatchCount, Is.EqualTo(1), $"offset {offset}");
            Assert.That(BatchesOf(fetch).Single().Base, Is.EqualTo(offset));
        }
    }

    private static async Task AssertAppendContinuesAt(Partition p, long expected)
    {
        AppendResult appended = await p.AppendAsync(Batches.Batch(Batches.Make((int)expected, 3)));
        Assert.That(appended.BaseOffset, Is.EqualTo(expected), "an offset was handed out twice");
        using FetchResult back = await p.ReadAsync(expected, 1 << 20);
        Assert.That(BatchesOf(back).Single().Base, Is.EqualTo(expected));
    }

    [Test]
    public async Task Open_BitFlippedInTheLastBatchAfterCleanClose_KeepsEveryByteAndTheLogEnd()
    {
        await using (Broker broker = await Open(_dir.Path))
            await ProduceThreeThousand((await broker.CreateTopicAsync("t")).Partitions[0]);
        string log = _dir.Combine("t-0", "00000000000000000000.log");
        long lastBatch = new FileInfo(log).Length - Batches.Make(3000 - RecordsPerBatch, RecordsPerBatch).Length;
        FlipBit(log, new FileInfo(log).Length - 20);
        Dictionary<string, byte[]> damaged = LogFiles(_dir.Combine("t-0"));

        var logs = new CapturingLoggerFactory();
        using var metrics = new MeterCapture("t");
        await using (Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = _dir.Path, LoggerFactory = logs }))
        {
            Partition p = PartitionOf(broker);
            Assert.That(LogFiles(_dir.Combine("t-0")), Is.EqualTo(damaged), "a durable byte was cut");
            Assert.That(p.LogEndOffset, Is.EqualTo(3000));
            Assert.That(logs.WithId(1209).Single().Message, Does.Contain(log).And.Contain($"position {lastBatch}"));
            await AssertReadsUpTo(p, 3000 - RecordsPerBatch);
            var e = Assert.ThrowsAsync<CorruptRecordException>(async () => await p.ReadAsync(2990, 1 << 20));
            Assert.That((e!.FilePath, e.Position, e.Offset), Is.EqualTo((log, lastBatch, 2990L)));
            Assert.That(logs.WithId(1212).Single().Message, Does.Contain(log).And.Contain($"position {lastBatch}"));
            Assert.That(metrics.Of("logstore.corruption.detected").Select(m => m.Tags["logstore.reason"]), Is.EquivalentTo(new[] { "open", "read" }));
            // A consumer reading from the start gets every valid batch up to the damage, then the typed error.
            using (FetchResult upToDamage = await p.ReadAsync(2900, 1 << 20))
                Assert.That(BatchesOf(upToDamage).Last().Next, Is.EqualTo(3000 - RecordsPerBatch));
            await AssertAppendContinuesAt(p, 3000);
        }
        await using (Broker broker = await Open(_dir.Path))
        {
            Partition p = PartitionOf(broker);
            Assert.That(p.LogEndOffset, Is.EqualTo(3003));
            Assert.That(File.ReadAllBytes(log), Is.EqualTo(damaged[Path.GetFileName(log)]));
            await AssertReadsUpTo(p, 3000 - RecordsPerBatch);
        }
    }

    [Test]
    public async Task Open_BitFlippedInTheLastBatchAfterCleanClose_KeepsTheLogEndWithoutAnAppendEither()
    {
        await using (Broker broker = await Open(_dir.Path))
            await ProduceThreeThousand((await broker.CreateTopicAsync("t")).Partitions[0]);
        string log = _dir.Combine("t-0", "00000000000000000000.log");
        FlipBit(log, new FileInfo(log).Length - 20);
        for (int reopen = 0; reopen < 2; reopen++)
        {
            await using Broker broker = await Open(_dir.Path);
            Assert.That(PartitionOf(broker).LogEndOffset, Is.EqualTo(3000), $"reopen {reopen}");
        }
        await using (Broker broker = await Open(_dir.Path))
            await AssertAppendContinuesAt(PartitionOf(broker), 3000);
    }

    [TestCase(70, TestName = "Open_BitFlippedInTheFirstBatchAfterCrash_CutsNothingAndKeepsTheLogEnd(records)")]
    [TestCase(9, TestName = "Open_BitFlippedInTheFirstBatchAfterCrash_CutsNothingAndKeepsTheLogEnd(length)")]
    public async Task Open_BitFlippedInTheFirstBatchAfterCrash_CutsNothingAndKeepsTheLogEnd(int position)
    {
        TempDirectory image;
        await using (Broker broker = await Open(_dir.Path))
        {
            Partition written = (await broker.CreateTopicAsync("t")).Partitions[0];
            await ProduceThreeThousand(written);
            Assert.That(written.Log.RecoveryPoint, Is.EqualTo(3000));
            image = _dir.CrashImage();
        }
        using (image)
        {
            string log = image.Combine("t-0", "00000000000000000000.log");
            FlipBit(log, position);
            Dictionary<string, byte[]> damaged = LogFiles(image.Combine("t-0"));

            await using Broker broker = await Open(image.Path);
            Partition p = PartitionOf(broker);
            Assert.That(LogFiles(image.Combine("t-0")), Is.EqualTo(damaged), "a durable byte was cut");
            Assert.That(p.LogEndOffset, Is.EqualTo(3000));
            var e = Assert.ThrowsAsync<CorruptRecordException>(async () => await p.ReadAsync(0, 1 << 20));
            Assert.That((e!.FilePath, e.Position), Is.EqualTo((log, 0L)));
            if (position != 9)
                await AssertReadsUpTo(p, 3000, from: RecordsPerBatch); // a CRC failure leaves the chain of lengths intact
            await AssertAppendContinuesAt(p, 3000);
        }
    }

    [Test]
    public async Task Open_AfterACutWasKeptBeside_LeavesTheCutFileAlone()
    {
        using TempDirectory image = await CrashAfter(6, flushAfter: 5);
        string log = ActiveLog(image);
        File.WriteAllBytes(log, File.ReadAllBytes(log)[..^7]);
        await using (Broker broker = await Open(image.Path))
            await PartitionOf(broker).AppendAsync(Batches.Batch(Batches.Make(20, 4)));
        string cut = Directory.GetFiles(image.Combine("t-0"), "*.cut-*").Single();
        byte[] cutBytes = File.ReadAllBytes(cut);
        using TempDirectory crashed = image.CrashImage();
        await using (Broker broker = await Open(crashed.Path))
        {
            Assert.That(File.ReadAllBytes(crashed.Combine("t-0", Path.GetFileName(cut))), Is.EqualTo(cutBytes));
            await AssertRecords(PartitionOf(broker), 24);
        }
    }

    [Test]
    public async Task Open_StrayEmptySegmentAfterCleanClose_IsRemovedAndTheLogEndStays()
    {
        await using (Broker broker = await Open(_dir.Path))
        {
            Topic t = await broker.CreateTopicAsync("t", new TopicConfig { SegmentBytes = 1500 });
            for (int i = 0; i < 75; i++)
                await t.Partitions[0].AppendAsync(Batches.Batch(Batches.Make(i * 4, 4)));
        }
        string stray = _dir.Combine("t-0", "00000000000000099999.log");
        File.WriteAllBytes(stray, []);
        await using (Broker broker = await Open(_dir.Path))
        {
            Partition p = PartitionOf(broker);
            Assert.That(p.LogEndOffset, Is.EqualTo(300));
            Assert.That(File.Exists(stray), Is.False);
            await AssertRecords(p, 300);
            Assert.That((await p.AppendAsync(Batches.Batch(Batches.Make(300, 2)))).BaseOffset, Is.EqualTo(300));
            await AssertRecords(p, 302);
        }
    }

    [Test]
    public async Task Open_ActiveSegmentShortenedAtABatchBoundaryAfterCleanClose_ContinuesAtTheRecoveryPoint()
    {
        int batchSize = Batches.Make(0, 4).Length;
        await using (Broker broker = await Open(_dir.Path))
        {
            Topic t = await broker.CreateTopicAsync("t");
            for (int i = 0; i < 10; i++)
                await t.Partitions[0].AppendAsync(Batches.Batch(Batches.Make(i * 4, 4)));
        }
        string log = _dir.Combine("t-0", "00000000000000000000.log");
        File.WriteAllBytes(log, File.ReadAllBytes(log)[..(batchSize * 8)]);
        await using Broker reopened = await Open(_dir.Path);
        Partition p = PartitionOf(reopened);
        Assert.That(p.LogEndOffset, Is.EqualTo(40), "the log end moved back below the recovery point");
        Assert.ThrowsAsync<CorruptRecordException>(async () => await p.ReadAsync(32, 1 << 20));
        await AssertAppendContinuesAt(p, 40);
    }
}
