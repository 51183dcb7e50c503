using System.Text;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests;

[TestFixture]
public sealed class PartitionTests : BrokerFixture
{
    private ValueTask<Broker> Open() => Broker.OpenAsync(new BrokerOptions { DataDirectory = Dir.Path, TimeProvider = Time });

    private static async Task<Partition> CreatePartition(Broker broker, TopicConfig? config = null) =>
        (await broker.CreateTopicAsync("t", config ?? new TopicConfig())).Partitions[0];

    [Test]
    public async Task AppendAsync_AssignsDenseOffsets_RewritingBaseOffset()
    {
        await using Broker broker = await Open();
        Partition p = await CreatePartition(broker);
        AppendResult first = await p.AppendAsync(Batches.Batch(Batches.Make(0, 3)));
        byte[] second = Batches.Make(3, 5);
        AppendResult result = await p.AppendAsync(Batches.Batch(second));

        Assert.That((first.BaseOffset, first.LastOffset), Is.EqualTo((0L, 2L)));
        Assert.That((result.BaseOffset, result.LastOffset), Is.EqualTo((3L, 7L)));
        Assert.That(Batches.Batch(second).BaseOffset, Is.EqualTo(3), "the caller's batch header carries the assigned offset");
        Assert.That(p.LogEndOffset, Is.EqualTo(8));
        var all = await Batches.ReadAll(p);
        Assert.That(all.Select(r => r.Offset), Is.EqualTo(Enumerable.Range(0, 8).Select(i => (long)i)));
        Assert.That(all.Select(r => r.Key), Is.EqualTo(Enumerable.Range(0, 8).Select(i => $"k{i}")));
    }

    [Test]
    public async Task AppendAsync_RollsWhenSegmentBytesWouldBePassed()
    {
        await using Broker broker = await Open();
        byte[] batch = Batches.Make(1000, 10);
        Partition p = await CreatePartition(broker, new TopicConfig { SegmentBytes = batch.Length * 3 });
        for (int i = 0; i < 10; i++)
            await p.AppendAsync(Batches.Batch(Batches.Make(1000 + i * 10, 10)));

        IReadOnlyList<SegmentInfo> segments = p.Segments;
        Assert.That(segments.Select(s => s.BaseOffset), Is.EqualTo(new long[] { 0, 30, 60, 90 }));
        Assert.That(segments.Take(3).All(s => s.SizeInBytes == batch.Length * 3), Is.True);
        Assert.That(segments[0].NextOffset, Is.EqualTo(30));
        Assert.That(Path.GetFileName(segments[1].LogPath), Is.EqualTo("00000000000000000030.log"));
        Assert.That((await Batches.ReadAll(p)).Count, Is.EqualTo(100));
    }

    [Test]
    public async Task AppendAsync_RollsWhenSegmentRollTimeHasPassedSinceTheFirstBatch()
    {
        await using Broker broker = await Open();
        Partition p = await CreatePartition(broker, new TopicConfig { SegmentRollTime = TimeSpan.FromHours(1) });
        await p.AppendAsync(Batches.Batch(Batches.Make(0, 1, timestamp: Time.GetUtcNow().ToUnixTimeMilliseconds())));
        Time.Advance(TimeSpan.FromMinutes(59));
        await p.AppendAsync(Batches.Batch(Batches.Make(1, 1, timestamp: Time.GetUtcNow().ToUnixTimeMilliseconds())));
        Assert.That(p.Segments, Has.Count.EqualTo(1));
        Time.Advance(TimeSpan.FromMinutes(2));
        await p.AppendAsync(Batches.Batch(Batches.Make(2, 1, timestamp: Time.GetUtcNow().ToUnixTimeMilliseconds())));
        Assert.That(p.Segments.Select(s => s.BaseOffset), Is.EqualTo(new long[] { 0, 2 }));
    }

    [Test]
    public async Task AppendAsync_RollsWhenTheIndexIsFull()
    {
        await using Broker broker = await Open();
        // Room for 3 offset entries; every batch after the first gets an entry with interval 0.
        Partition p = await CreatePartition(broker, new TopicConfig { IndexIntervalBytes = 0, SegmentIndexBytes = 36 });
        for (int i = 0; i < 12; i++)
            await p.AppendAsync(Batches.Batch(Batches.Make(i, 1)));
        Assert.That(p.Segments.Count, Is.GreaterThan(1));
        Assert.That((await Batches.ReadAll(p)).Select(r => r.Key), Is.EqualTo(Enumerable.Range(0, 12).Select(i => $"k{i}")));
        foreach (SegmentInfo s in p.Segments.SkipLast(1))
            Assert.That(new FileInfo(s.IndexPath).Length % 8, Is.Zero, "rolled indexes are trimmed to whole entries");
    }

    [Test]
    public async Task ReadAsync_ReturnsTheBatchHoldingAnOffsetInsideIt()
    {
        await using Broker broker = await Open();
        Partition p = await CreatePartition(broker);
        await p.AppendAsync(Batches.Batch(Batches.Make(0, 10)));
        await p.AppendAsync(Batches.Batch(Batches.Make(10, 10)));
        using FetchResult fetch = await p.ReadAsync(15, 1);
        Assert.That(fetch.BatchCount, Is.EqualTo(1), "at least one batch, even past maxBytes");
        foreach (RecordBatch b in fetch)
            Assert.That((b.BaseOffset, b.LastOffset), Is.EqualTo((10L, 19L)));
    }

    [Test]
    public async Task ReadAsync_StopsBeforeMaxBytesAfterTheFirstBatch()
    {
        await using Broker broker = await Open();
        Partition p = await CreatePartition(broker);
        byte[] one = Batches.Make(1000, 5);
        for (int i = 0; i < 10; i++)
            await p.AppendAsync(Batches.Batch(Batches.Make(1000 + i * 5, 5)));
        using FetchResult fetch = await p.ReadAsync(0, one.Length * 3 + 1);
        Assert.That(fetch.BatchCount, Is.EqualTo(3));
        Assert.That(fetch.Records.Length, Is.EqualTo(one.Length * 3));
    }

    [Test]
    public async Task ReadAsync_AcrossSegmentsWithSparseIndexes_FindsEveryOffset()
    {
        await using Broker broker = await Open();
        Partition p = await CreatePartition(broker, new TopicConfig { SegmentBytes = 4000, IndexIntervalBytes = 300 });
        for (int i = 0; i < 200; i++)
            await p.AppendAsync(Batches.Batch(Batches.Make(i * 3, 3, valueSize: 20)));
        Assert.That(p.Segments.Count, Is.GreaterThan(5));
        for (long offset = 0; offset < 600; offset += 7)
        {
            using FetchResult fetch = await p.ReadAsync(offset, 100);
            foreach (RecordBatch b in fetch)
            {
                Assert.That(b.BaseOffset, Is.LessThanOrEqualTo(offset));
                Assert.That(b.LastOffset, Is.GreaterThanOrEqualTo(offset));
                break;
            }
        }
    }

    [Test]
    public async Task ReadAsync_OneByteFetches_BatchesLargerThanTheIndexInterval_ReturnExactlyTheBatchHoldingTheOffset()
    {
        await using Broker broker = await Open();
        // Every batch is larger than the interval, so every batch after the first is indexed, and the sizes change from
        // batch to batch: a read steps over the entry's batch and must not trust the next one to be as large.
        Partition p = await CreatePartition(broker, new TopicConfig { IndexIntervalBytes = 256 });
        int[] valueSizes = [300, 40, 900, 900, 25, 2000, 60, 700];
        var bounds = new List<(long First, long Last)>();
        long next = 0;
        for (int i = 0; i < 40; i++)
        {
            int count = 1 + i % 5;
            AppendResult appended = await p.AppendAsync(Batches.Batch(Batches.Make((int)next, count, valueSize: valueSizes[i % valueSizes.Length])));
            bounds.Add((appended.BaseOffset, appended.LastOffset));
            next += count;
        }
        await broker.DisposeAsync();

        // Reopened, the segment's index is read from its file rather than kept from the appends.
        await using Broker reopened = await Open();
        Partition q = reopened.TryGetTopic("t", out Topic? topic) ? topic.Partitions[0] : throw new AssertionException("topic t is gone");
        foreach ((long first, long last) in bounds)
        {
            for (long offset = first; offset <= last; offset++)
            {
                using FetchResult fetch = await q.ReadAsync(offset, 1);
                Assert.That(fetch.BatchCount, Is.EqualTo(1), $"offset {offset}");
                foreach (RecordBatch batch in fetch)
                    Assert.That((batch.BaseOffset, batch.LastOffset, batch.IsValid), Is.EqualTo((first, last, true)), $"offset {offset}");
            }
        }
    }

    [Test]
    public async Task ReadAsync_AnIndexedBatchHasADamagedLength_ItsReadsThrowCorruptRecord_TheNextBatchReadsIntact()
    {
        byte[] third = Batches.Make(4, 2, valueSize: 500);
        int thirdPosition;
        string logPath;
        await using (Broker broker = await Open())
        {
            Partition p = await CreatePartition(broker, new TopicConfig { IndexIntervalBytes = 256 });
            await p.AppendAsync(Batches.Batch(Batches.Make(0, 2, valueSize: 500)));
            await p.AppendAsync(Batches.Batch(Batches.Make(2, 2, valueSize: 500)));
            await p.AppendAsync(Batches.Batch(third));
            await p.AppendAsync(Batches.Batch(Batches.Make(6, 2, valueSize: 500)));
            logPath = p.Segments[0].LogPath;
            thirdPosition = (int)(new FileInfo(logPath).Length - 2 * third.Length);
        }
        // The batch at offsets 2..3 is indexed. Lengthening it by one batch (no CRC covers the length) would send a scan
        // stepping over it past offsets 4..5, which only the chain of offsets can notice. A read of offset 4 no longer
        // steps over it: it takes the batch at the next index entry, whose offsets the entry confirms, and gets it
        // intact. A read of the damaged batch itself reports the damage.
        int secondPosition = thirdPosition - third.Length;
        using (FileStream file = File.Open(logPath, FileMode.Open, FileAccess.ReadWrite))
        {
            byte[] length = new byte[4];
            file.Position = secondPosition + 8;
            file.ReadExactly(length);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(length) + third.Length);
            file.Position = secondPosition + 8;
            file.Write(length);
        }

        await using Broker reopened = await Open();
        Partition q = reopened.TryGetTopic("t", out Topic? topic) ? topic.Partitions[0] : throw new AssertionException("topic t is gone");
        Assert.That(async () => (await q.ReadAsync(3, 1)).Dispose(), Throws.InstanceOf<CorruptRecordException>());
        Assert.That(async () => (await q.ReadAsync(2, 64 * 1024)).Dispose(), Throws.InstanceOf<CorruptRecordException>());
        using FetchResult intact = await q.ReadAsync(4, 1);
        foreach (RecordBatch batch in intact)
            Assert.That((batch.BaseOffset, batch.LastOffset, batch.IsValid), Is.EqualTo((4L, 5L, true)));
        Assert.That(intact.BatchCount, Is.EqualTo(1));
    }

    [Test]
    public async Task ReadAsync_OutsideTheLog_ThrowsOffsetOutOfRange()
    {
        await using Broker broker = await Open();
        Partition p = await CreatePartition(broker);
        await p.AppendAsync(Batches.Batch(Batches.Make(0, 2)));
        var e = Assert.ThrowsAsync<OffsetOutOfRangeException>(async () => await p.ReadAsync(3, 100));
        Assert.That((e!.LogStartOffset, e.LogEndOffset, e.Offset), Is.EqualTo((0L, 2L, 3L)));
        Assert.ThrowsAsync<OffsetOutOfRangeException>(async () => await p.ReadAsync(-1, 100));
        using FetchResult atEnd = await p.ReadAsync(2, 100);
        Assert.That(atEnd.IsEmpty, Is.True);
    }

    [Test]
    public async Task ReadAsync_WithMaxWait_WakesOnAppend()
    {
        await using Broker broker = await Open();
        Partition p = await CreatePartition(broker);
        ValueTask<FetchResult> pending = p.ReadAsync(0, 1000, TimeSpan.FromSeconds(30));
        Assert.That(pending.IsCompleted, Is.False);
        await p.AppendAsync(Batches.Batch(Batches.Make(0, 2)));
        using FetchResult fetch = await pending;
        Assert.That(fetch.BatchCount, Is.EqualTo(1));
    }

    [Test]
    public async Task ReadAsync_WithMaxWait_ReturnsEmptyWhenTheWaitTimesOut()
    {
        await using Broker broker = await Open();
        Partition p = await CreatePartition(broker);
        ValueTask<FetchResult> pending = p.ReadAsync(0, 1000, TimeSpan.FromSeconds(5));
        Assert.That(pending.IsCompleted, Is.False);
        Time.Advance(TimeSpan.FromSeconds(6));
        using FetchResult fetch = await pending;
        Assert.That(fetch.IsEmpty, Is.True);
    }

    [Test]
    public async Task ReadAsync_WithMaxWait_HonoursCancellation()
    {
        await using Broker broker = await Open();
        Partition p = await CreatePartition(broker);
        using var cts = new CancellationTokenSource();
        ValueTask<FetchResult> pending = p.ReadAsync(0, 1000, TimeSpan.FromHours(1), cts.Token);
        await cts.CancelAsync();
        Assert.That(async () => await pending, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task OffsetForTimestamp_FindsTheFirstRecordAtOrAfterIt_AcrossSegments()
    {
        await using Broker broker = await Open();
        Partition p = await CreatePartition(broker, new TopicConfig { SegmentBytes = 2000, IndexIntervalBytes = 100 });
        for (int i = 0; i < 100; i++)
            await p.AppendAsync(Batches.Batch(Batches.Make(i * 4, 4, timestamp: Batches.BaseTime + i * 10)));
        Assert.That(p.Segments.Count, Is.GreaterThan(3));
        // Record n has timestamp BaseTime + (n / 4) * 10 + n % 4.
        Assert.That(p.OffsetForTimestamp(DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime)), Is.EqualTo(0));
        Assert.That(p.OffsetForTimestamp(DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime + 502)), Is.EqualTo(202));
        Assert.That(p.OffsetForTimestamp(DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime + 505)), Is.EqualTo(204));
        Assert.That(p.OffsetForTimestamp(DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime + 993)), Is.EqualTo(399));
        Assert.That(p.OffsetForTimestamp(DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime + 994)), Is.Null);
        Assert.That(p.OffsetForTimestamp(DateTimeOffset.FromUnixTimeMilliseconds(0)), Is.EqualTo(0));
    }

    [Test]
    public async Task AppendAsync_BatchOverMaxMessageBytes_ThrowsRecordTooLargeAndAppendsNothing()
    {
        await using Broker broker = await Open();
        Partition p = await CreatePartition(broker, new TopicConfig { MaxMessageBytes = 200 });
        byte[] big = Batches.Make(0, 1, valueSize: 500);
        var e = Assert.ThrowsAsync<RecordTooLargeException>(async () => await p.AppendAsync(Batches.Batch(big)));
        Assert.That(e!.SizeInBytes, Is.EqualTo(big.Length));
        Assert.That(p.LogEndOffset, Is.Zero);
    }

    [Test]
    public async Task AppendAsync_DamagedBatch_ThrowsCorruptRecordAndAppendsNothing()
    {
        await using Broker broker = await Open();
        Partition p = await CreatePartition(broker);
        byte[] bytes = Batches.Make(0, 3);
        bytes[^2] ^= 0x40;
        Assert.ThrowsAsync<CorruptRecordException>(async () => await p.AppendAsync(Batches.Batch(bytes)));
        Assert.That(p.LogEndOffset, Is.Zero);
        Assert.That(p.Segments[0].SizeInBytes, Is.Zero);
    }

    [Test]
    public async Task AppendAsync_AfterBrokerDisposed_ThrowsObjectDisposed()
    {
        Broker broker = await Open();
        Partition p = await CreatePartition(broker);
        await broker.DisposeAsync();
        Assert.ThrowsAsync<ObjectDisposedException>(async () => await p.AppendAsync(Batches.Batch(Batches.Make(0, 1))));
        Assert.ThrowsAsync<ObjectDisposedException>(async () => await p.ReadAsync(0, 10));
    }

    [Test]
    public async Task AppendAsync_LogAppendTime_StampsTheBrokerClock()
    {
        await using Broker broker = await Open();
        Partition p = await CreatePartition(broker);
        using var builder = new RecordBatchBuilder { TimestampType = TimestampType.LogAppendTime };
        builder.Append(5, Encoding.UTF8.GetBytes("k"), Encoding.UTF8.GetBytes("v"));
        AppendResult result = await p.AppendAsync(builder.Build());
        Assert.That(result.LogAppendTime, Is.EqualTo(Time.GetUtcNow()));
        using FetchResult fetch = await p.ReadAsync(0, 1000);
        foreach (RecordBatch b in fetch)
        {
            Assert.That(b.MaxTimestamp, Is.EqualTo(Time.GetUtcNow().ToUnixTimeMilliseconds()));
            Assert.That(b.IsValid, Is.True, "the CRC was recomputed after the timestamp changed");
        }
    }

    [Test]
    public async Task FlushMessages_FlushesAfterThatManyRecords()
    {
        await using Broker broker = await Open();
        Partition p = await CreatePartition(broker, new TopicConfig { FlushMessages = 10 });
        await p.AppendAsync(Batches.Batch(Batches.Make(0, 6)));
        Assert.That(p.Log.RecoveryPoint, Is.Zero);
        await p.AppendAsync(Batches.Batch(Batches.Make(6, 6)));
        Assert.That(p.Log.RecoveryPoint, Is.EqualTo(12));
    }

    [Test]
    public async Task FlushInterval_FlushesWhenTheIntervalHasPassed()
    {
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = Dir.Path,
            TimeProvider = Time,
            FlushCheckInterval = TimeSpan.FromSeconds(1),
        });
        Partition p = await CreatePartition(broker, new TopicConfig { FlushInterval = TimeSpan.FromSeconds(10) });
        await p.AppendAsync(Batches.Batch(Batches.Make(0, 3)));
        Time.Advance(TimeSpan.FromSeconds(5));
        Assert.That(p.Log.RecoveryPoint, Is.Zero);
        Time.Advance(TimeSpan.FromSeconds(6));
        await WaitUntil(() => p.Log.RecoveryPoint == 3);
        Assert.That(p.Log.RecoveryPoint, Is.EqualTo(3));
    }

    [Test]
    public async Task RecoveryPointCheckpointInterval_CheckpointsWhatAFlushPolicyFsynced()
    {
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = Dir.Path,
            TimeProvider = Time,
            FlushCheckInterval = TimeSpan.FromSeconds(1),
            RecoveryPointCheckpointInterval = TimeSpan.FromSeconds(60),
        });
        Partition p = await CreatePartition(broker, new TopicConfig { FlushMessages = 1 });
        await p.AppendAsync(Batches.Batch(Batches.Make(0, 3)));
        await p.AppendAsync(Batches.Batch(Batches.Make(3, 3)));
        Assert.That(p.Log.RecoveryPoint, Is.EqualTo(6), "flush.messages=1 fsynced both appends");
        Assert.That(CheckpointFiles.RecoveryPoint(Dir.Path, p.Id.Topic, p.Id.Partition), Is.Not.EqualTo(6), "a policy flush within a segment leaves the checkpoint lazy");

        for (int second = 0; second < 61; second++)
            Time.Advance(TimeSpan.FromSeconds(1));
        await WaitUntil(() => CheckpointFiles.RecoveryPoint(Dir.Path, p.Id.Topic, p.Id.Partition) == 6);

        Assert.That(CheckpointFiles.RecoveryPoint(Dir.Path, p.Id.Topic, p.Id.Partition), Is.EqualTo(6));
    }

    /// <summary>The flush scheduler runs on the thread pool after the fake clock ticks: wait for its effect, bounded.</summary>
    private static async Task WaitUntil(Func<bool> condition)
    {
        for (int i = 0; i < 500 && !condition(); i++)
            await Task.Delay(10);
    }
}
