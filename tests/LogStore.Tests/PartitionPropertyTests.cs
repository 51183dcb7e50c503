using CsCheck;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests;

/// <summary>Random logs against a plain in-memory model of what they hold.</summary>
[TestFixture]
public sealed class PartitionPropertyTests
{
    [Test]
    public void ReadAsync_AnyOffsetOfARandomLog_ReturnsTheBatchHoldingIt_AndOffsetForTimestampMatchesALinearScan()
    {
        // (records per batch, value size, timestamp step) per batch; a segment size and an index interval.
        var gen = Gen.Select(
            Gen.Select(Gen.Int[1, 12], Gen.Int[0, 300], Gen.Int[-3, 20]).Array[1, 60],
            Gen.Int[300, 5000],
            Gen.Int[0, 2000]);
        gen.Sample((batches, segmentBytes, indexInterval) =>
        {
            using var dir = new TempDirectory();
            var lastOffsets = new List<long>();
            var timestamps = new List<long>();
            var broker = Broker.OpenAsync(new BrokerOptions { DataDirectory = dir.Path }).AsTask().GetAwaiter().GetResult();
            try
            {
                Partition p = broker.CreateTopicAsync("t", new TopicConfig
                {
                    SegmentBytes = segmentBytes,
                    IndexIntervalBytes = indexInterval,
                    MaxMessageBytes = 1 << 20,
                }).AsTask().GetAwaiter().GetResult().Partitions[0];
                long time = Batches.BaseTime;
                foreach ((int count, int valueSize, int step) in batches)
                {
                    time += step;
                    byte[] bytes = Batches.Make((int)p.LogEndOffset, count, time, valueSize);
                    for (int i = 0; i < count; i++)
                        timestamps.Add(time + i);
                    lastOffsets.Add(p.AppendAsync(Batches.Batch(bytes)).AsTask().GetAwaiter().GetResult().LastOffset);
                }
                for (long offset = 0; offset < p.LogEndOffset; offset++)
                {
                    using FetchResult fetch = p.ReadAsync(offset, 1).AsTask().GetAwaiter().GetResult();
                    var e = fetch.GetEnumerator();
                    if (!e.MoveNext() || e.Current.BaseOffset > offset || e.Current.LastOffset < offset)
                        return false;
                    if (e.Current.LastOffset != lastOffsets.First(l => l >= offset))
                        return false;
                }
                foreach (long probe in timestamps.Distinct().Append(timestamps.Max() + 1).Append(Batches.BaseTime - 10))
                {
                    int expected = timestamps.FindIndex(t => t >= probe);
                    long? actual = p.OffsetForTimestamp(DateTimeOffset.FromUnixTimeMilliseconds(probe));
                    if (actual != (expected < 0 ? null : expected))
                        return false;
                }
                return true;
            }
            finally
            {
                broker.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }, iter: 40, threads: 1);
    }
}
