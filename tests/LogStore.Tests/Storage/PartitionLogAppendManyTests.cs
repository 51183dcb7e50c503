using LogStore.Storage;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Storage;

/// <summary>Many batches per call, written with one gathered write per segment: the producer's path into the log, and
/// <see cref="Partition.AppendAsync(ReadOnlyMemory{RecordBatch}, CancellationToken)"/>.</summary>
[TestFixture]
public sealed class PartitionLogAppendManyTests : BrokerFixture
{
    private async Task<(Broker Broker, Partition Partition)> Open(TopicConfig config)
    {
        Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = Dir.Path, TimeProvider = Time });
        Topic topic = broker.TryGetTopic("t", out Topic? existing) ? existing : await broker.CreateTopicAsync("t", config);
        return (broker, topic.Partitions[0]);
    }

    private static RecordBatch[] MakeBatches(int count, int recordsPerBatch, int valueSize = 0) =>
        Enumerable.Range(0, count).Select(i => Batches.Batch(Batches.Make(i * recordsPerBatch, recordsPerBatch, valueSize: valueSize))).ToArray();

    [Test]
    public async Task Append_ManyBatches_DenseOffsetsInOrder_AcrossRolls_ReadableAfterReopen()
    {
        RecordBatch[] batches = MakeBatches(40, 5, valueSize: 100);
        var config = new TopicConfig { SegmentBytes = batches[0].SizeInBytes * 7, IndexIntervalBytes = 1 };
        var results = new AppendResult[batches.Length];
        (Broker broker, Partition p) = await Open(config);
        await using (broker)
        {
            int appended = p.Log.Append(batches, builtMinTimestamps: default, results, out LogStoreException? error);

            Assert.That(error, Is.Null);
            Assert.That(appended, Is.EqualTo(40));
            Assert.That(results.Select(r => r.BaseOffset), Is.EqualTo(Enumerable.Range(0, 40).Select(i => i * 5L)));
            Assert.That(p.LogEndOffset, Is.EqualTo(200));
            Assert.That(p.Segments, Has.Count.GreaterThan(4), "one call rolled several times");
            await AssertAllRecords(p, 200);

            // Rolls fall exactly where appending the same batches one at a time puts them.
            Partition single = (await broker.CreateTopicAsync("single", config)).Partitions[0];
            foreach (RecordBatch batch in MakeBatches(40, 5, valueSize: 100))
                await single.AppendAsync(batch);
            Assert.That(p.Segments.Select(s => (s.BaseOffset, s.SizeInBytes)), Is.EqualTo(single.Segments.Select(s => (s.BaseOffset, s.SizeInBytes))));
        }

        // The indexes written for staged batches point at the right places: reads by offset after a reopen use them.
        (broker, p) = await Open(config);
        await using (broker)
        {
            foreach (long offset in new long[] { 0, 34, 35, 99, 140, 199 })
            {
                using FetchResult fetch = await p.ReadAsync(offset, 1);
                foreach (RecordBatch first in fetch)
                {
                    Assert.That(offset, Is.InRange(first.BaseOffset, first.LastOffset), $"read at {offset}");
                    break;
                }
            }
            await AssertAllRecords(p, 200);
        }
    }

    [Test]
    public async Task Append_BatchOverTheLimitInTheMiddle_StopsThere_EarlierAppended_RestAppendableAfter()
    {
        RecordBatch small = Batches.Batch(Batches.Make(0, 2));
        RecordBatch large = Batches.Batch(Batches.Make(2, 2, valueSize: 4000));
        var config = new TopicConfig { MaxMessageBytes = 1000 };
        (Broker broker, Partition p) = await Open(config);
        await using (broker)
        {
            RecordBatch[] batches = [small, Batches.Batch(Batches.Make(0, 2)), large, Batches.Batch(Batches.Make(4, 2))];
            var results = new AppendResult[batches.Length];

            int appended = p.Log.Append(batches, builtMinTimestamps: default, results, out LogStoreException? error);

            Assert.That(appended, Is.EqualTo(2));
            Assert.That(error, Is.InstanceOf<RecordTooLargeException>());
            Assert.That(p.LogEndOffset, Is.EqualTo(4), "the batches before the failing one are in the log");
            appended = p.Log.Append(batches.AsSpan(3), builtMinTimestamps: default, results.AsSpan(3), out error);
            Assert.That((appended, error, results[3].BaseOffset), Is.EqualTo((1, (LogStoreException?)null, 4L)));
            Assert.That(p.LogEndOffset, Is.EqualTo(6));
        }
    }

    [Test]
    public async Task Append_WithoutCrcCheck_StillRefusesMalformedHeaders_ButWithCheckRefusesDamage()
    {
        byte[] damaged = Batches.Make(0, 3);
        damaged[^1] ^= 0x40;
        (Broker broker, Partition p) = await Open(new TopicConfig());
        await using (broker)
        {
            var results = new AppendResult[1];
            int appended = p.Log.Append([Batches.Batch(damaged)], builtMinTimestamps: default, results, out LogStoreException? error);
            Assert.That((appended, error), Is.EqualTo((0, error)));
            Assert.That(error, Is.InstanceOf<CorruptRecordException>());
            Assert.That(p.LogEndOffset, Is.Zero);

            byte[] shortBatch = Batches.Make(0, 1)[..20];
            Assert.Throws<CorruptRecordException>(() => p.Log.Append(RecordBatch.Parse(shortBatch)));
            Assert.That(p.LogEndOffset, Is.Zero);
        }
    }

    [Test]
    public async Task AppendAsyncMany_OneAppend_ResultSpansAll_AcrossRolls_SameLayoutAsOneAtATime()
    {
        RecordBatch[] batches = MakeBatches(12, 5, valueSize: 100);
        var config = new TopicConfig { SegmentBytes = batches[0].SizeInBytes * 5 };
        (Broker broker, Partition p) = await Open(config);
        await using (broker)
        {
            await p.AppendAsync(Batches.Batch(Batches.Make(0, 5, valueSize: 100)));

            AppendResult result = await p.AppendAsync(MakeBatches(12, 5, valueSize: 100).AsMemory(1));

            Assert.That((result.BaseOffset, result.LastOffset, result.LogStartOffset), Is.EqualTo((5L, 59L, 0L)));
            Assert.That(p.LogEndOffset, Is.EqualTo(60));
            await AssertAllRecords(p, 60);
            Partition single = (await broker.CreateTopicAsync("single", config)).Partitions[0];
            foreach (RecordBatch batch in MakeBatches(12, 5, valueSize: 100))
                await single.AppendAsync(batch);
            Assert.That(p.Segments.Select(s => (s.BaseOffset, s.SizeInBytes)), Is.EqualTo(single.Segments.Select(s => (s.BaseOffset, s.SizeInBytes))));
        }
    }

    [Test]
    public async Task AppendAsyncMany_ARefusedBatchAnywhere_AppendsNothing_TheRestAppendableAfter()
    {
        var config = new TopicConfig { MaxMessageBytes = 1000 };
        (Broker broker, Partition p) = await Open(config);
        await using (broker)
        {
            byte[] damaged = Batches.Make(4, 2);
            damaged[^1] ^= 0x40;
            RecordBatch[] tooLarge = [.. MakeBatches(2, 2), Batches.Batch(Batches.Make(4, 2, valueSize: 4000))];
            RecordBatch[] corrupt = [.. MakeBatches(2, 2), Batches.Batch(damaged), Batches.Batch(Batches.Make(6, 2))];

            Assert.ThrowsAsync<RecordTooLargeException>(async () => await p.AppendAsync(tooLarge));
            Assert.ThrowsAsync<CorruptRecordException>(async () => await p.AppendAsync(corrupt));

            Assert.That(p.LogEndOffset, Is.Zero, "every batch is validated before any is written");
            Assert.That(p.Segments.Single().SizeInBytes, Is.Zero);
            AppendResult result = await p.AppendAsync(MakeBatches(3, 2));
            Assert.That((result.BaseOffset, result.LastOffset), Is.EqualTo((0L, 5L)));
            await AssertAllRecords(p, 6);
        }
    }

    [Test]
    public async Task AppendAsyncMany_NoBatch_Throws_Cancelled_AppendsNothing()
    {
        (Broker broker, Partition p) = await Open(new TopicConfig());
        await using (broker)
        {
            Assert.Throws<ArgumentException>(() => p.AppendAsync(ReadOnlyMemory<RecordBatch>.Empty));
            using var cancelled = new CancellationTokenSource();
            cancelled.Cancel();
            Assert.ThrowsAsync<TaskCanceledException>(async () => await p.AppendAsync(MakeBatches(2, 1), cancelled.Token));
            Assert.That(p.LogEndOffset, Is.Zero);
        }
    }

    [Test]
    public async Task AppendAsyncMany_BatchesSharingBytes_Refused_AdjacentSlicesOfOneBufferAppended()
    {
        byte[] first = Batches.Make(0, 2);
        byte[] second = Batches.Make(2, 3);
        byte[] buffer = [.. first, .. second];
        RecordBatch a = RecordBatch.Parse(buffer.AsMemory(0, first.Length));
        RecordBatch b = RecordBatch.Parse(buffer.AsMemory(first.Length));
        // The same bytes as b, parsed a second time: another RecordBatch value over them.
        RecordBatch bAgain = RecordBatch.Parse(buffer.AsMemory(first.Length, second.Length));
        (Broker broker, Partition p) = await Open(new TopicConfig());
        await using (broker)
        {
            Assert.Throws<ArgumentException>(() => p.AppendAsync(new[] { a, b, a }));
            Assert.Throws<ArgumentException>(() => p.AppendAsync(new[] { b, a, bAgain }));
            Assert.That(p.LogEndOffset, Is.Zero);

            AppendResult appended = await p.AppendAsync(new[] { a, b });

            Assert.That((appended.BaseOffset, appended.LastOffset), Is.EqualTo((0L, 4L)));
            await AssertAllRecords(p, 5);
        }
    }

    private static async Task AssertAllRecords(Partition p, int count)
    {
        var all = await Batches.ReadAll(p);
        Assert.That(all.Select(r => r.Offset), Is.EqualTo(Enumerable.Range(0, count).Select(i => (long)i)));
        Assert.That(all.Select(r => r.Key), Is.EqualTo(Enumerable.Range(0, count).Select(i => $"k{i}")));
    }
}
