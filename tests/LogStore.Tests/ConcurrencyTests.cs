using LogStore.Tests.TestSupport;

namespace LogStore.Tests;

[TestFixture]
public sealed class ConcurrencyTests
{
    [Test]
    public async Task ReadersFollowingAWriterThatRolls_SeeEveryRecordOnceInOrder()
    {
        using var dir = new TempDirectory();
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = dir.Path, MaxOpenSegmentFiles = 4 });
        Partition p = (await broker.CreateTopicAsync("t", new TopicConfig { SegmentBytes = 3000, IndexIntervalBytes = 200 })).Partitions[0];
        const int Batches_ = 400;
        const int PerBatch = 5;

        async Task<List<long>> Follow()
        {
            var seen = new List<long>();
            long next = 0;
            while (next < Batches_ * PerBatch)
            {
                using FetchResult fetch = await p.ReadAsync(next, 2000, TimeSpan.FromSeconds(30));
                foreach (RecordBatch batch in fetch)
                {
                    Assert.That(batch.IsValid, Is.True);
                    foreach (Record record in batch)
                    {
                        if (record.Offset >= next)
                            seen.Add(record.Offset);
                    }
                    next = batch.NextOffset;
                }
            }
            return seen;
        }

        Task<List<long>>[] readers = [Task.Run(Follow), Task.Run(Follow), Task.Run(Follow)];
        for (int i = 0; i < Batches_; i++)
            await p.AppendAsync(Batches.Batch(Batches.Make(i * PerBatch, PerBatch)));
        foreach (Task<List<long>> reader in readers)
            Assert.That(await reader, Is.EqualTo(Enumerable.Range(0, Batches_ * PerBatch).Select(i => (long)i)));
        Assert.That(p.Segments.Count, Is.GreaterThanOrEqualTo(10));
    }

    [Test]
    public async Task ManySegments_KeepOnlyABoundedNumberOfFilesOpen()
    {
        using var dir = new TempDirectory();
        const int Capacity = 6;
        await using (Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = dir.Path }))
        {
            Partition p = (await broker.CreateTopicAsync("t", new TopicConfig { SegmentBytes = 500, IndexIntervalBytes = 50 })).Partitions[0];
            for (int i = 0; i < 300; i++)
                await p.AppendAsync(Batches.Batch(Batches.Make(i * 3, 3)));
        }
        await using (Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = dir.Path, MaxOpenSegmentFiles = Capacity }))
        {
            Partition p = broker.Topics.Single().Partitions[0];
            var segments = p.Log.Segments.Snapshot;
            Assert.That(segments.Length, Is.GreaterThan(50));
            Assert.That(segments.SkipLast(1).Count(s => s.Log.IsOpen || s.OffsetIndex.IsOpen || s.TimeIndex.IsOpen), Is.Zero,
                "opening touches no inactive segment");
            var records = await Batches.ReadAll(p);
            Assert.That(records, Has.Count.EqualTo(900));
            Assert.That(p.OffsetForTimestamp(DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime + 2)), Is.EqualTo(2));
            int open = segments.SkipLast(1).Sum(s => (s.Log.IsOpen ? 1 : 0) + (s.OffsetIndex.IsOpen ? 1 : 0) + (s.TimeIndex.IsOpen ? 1 : 0));
            Assert.That(open, Is.LessThanOrEqualTo(Capacity));
        }
    }
}
