using System.Text;
using LogStore.Storage;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Storage;

/// <summary>
/// <see cref="LogSegment.Read"/> by offset: the batch at the next index entry read alone when every batch has an entry,
/// the scan from the entry below when batches share one.
/// </summary>
[TestFixture]
public sealed class LogSegmentReadTests : BrokerFixture
{
    private const int BatchCount = 60;

    // Reads again and again, as a random reader's hot data is.
    private const int Passes = 3;

    private async Task<(Broker Broker, Partition Partition, int[] FirstIds)> Fill(int indexIntervalBytes, int seed)
    {
        Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = Dir.Path, TimeProvider = Time });
        Partition p = (await broker.CreateTopicAsync("t", new TopicConfig { SegmentBytes = 16 * 1024, IndexIntervalBytes = indexIntervalBytes })).Partitions[0];
        var random = new Random(seed);
        var firstIds = new int[BatchCount + 1];
        for (int i = 0; i < BatchCount; i++)
        {
            int count = random.Next(1, 12);
            firstIds[i + 1] = firstIds[i] + count;
            await p.AppendAsync(Batches.Batch(Batches.Make(firstIds[i], count, valueSize: random.Next(0, 300))));
        }
        return (broker, p, firstIds);
    }

    [TestCase(1, 11)]
    [TestCase(1, 12)]
    [TestCase(3000, 13)]
    [TestCase(3000, 14)]
    public async Task ReadAsync_EveryOffset_ReturnsOnlyTheBatchHoldingIt(int indexIntervalBytes, int seed)
    {
        (Broker broker, Partition p, int[] firstIds) = await Fill(indexIntervalBytes, seed);
        await using (broker)
        {
            Assert.That(p.Segments, Has.Count.GreaterThan(3), $"seed {seed}: the log spans several segments");
            for (int pass = 0; pass < Passes; pass++)
            {
                for (int batch = 0; batch < BatchCount; batch++)
                {
                    for (long offset = firstIds[batch]; offset < firstIds[batch + 1]; offset++)
                    {
                        using FetchResult fetch = await p.ReadAsync(offset, 1);
                        Assert.That(fetch.BatchCount, Is.EqualTo(1), $"seed {seed}, pass {pass}, offset {offset}");
                        foreach (RecordBatch read in fetch)
                        {
                            Assert.That((read.BaseOffset, read.LastOffset, read.IsValid), Is.EqualTo(((long)firstIds[batch], firstIds[batch + 1] - 1L, true)),
                                $"seed {seed}, pass {pass}, offset {offset}");
                            Assert.That(KeyAt(read, offset), Is.EqualTo($"k{offset}"), $"seed {seed}, pass {pass}");
                        }
                    }
                }
            }
        }
    }

    [Test]
    public async Task ReadAsync_LargeFetch_FromAnyOffset_ReturnsTheFollowingBatchesInOrder()
    {
        (Broker broker, Partition p, int[] firstIds) = await Fill(indexIntervalBytes: 1, seed: 21);
        await using (broker)
        {
            for (int pass = 0; pass < Passes; pass++)
            {
                for (int batch = 0; batch < BatchCount; batch += 7)
                {
                    long offset = firstIds[batch + 1] - 1;
                    List<(long Offset, string Key, string Value, long Timestamp)> records = await Batches.ReadAll(p, offset);
                    Assert.That(records.Select(r => r.Offset), Is.EqualTo(Enumerable.Range((int)offset, firstIds[BatchCount] - (int)offset).Select(o => (long)o)));
                    Assert.That(records.Select(r => r.Key), Is.EqualTo(records.Select(r => $"k{r.Offset}")));
                }
            }
        }
    }

    private static string KeyAt(RecordBatch batch, long offset)
    {
        foreach (Record record in batch)
        {
            if (record.Offset == offset)
                return Encoding.UTF8.GetString(record.Key);
        }
        return "(missing)";
    }
}
