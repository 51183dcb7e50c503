using LogStore.Storage;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Retention;

/// <summary><see cref="LogSegment"/>'s reference counts and deferred deletion.</summary>
[TestFixture]
public sealed class LogSegmentDeletionTests : RetentionFixture
{
    private async Task<(Broker Broker, Partition Partition)> Filled(int batches)
    {
        Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync("t", new TopicConfig { SegmentBytes = 300 })).Partitions[0];
        for (int i = 0; i < batches; i++)
            await p.AppendAsync(Batches.Batch(Batches.Make(i * 4, 4)));
        await Settle(p);
        return (broker, p);
    }

    [Test]
    public async Task MarkDeleted_WhileAReaderHoldsTheSegment_ReaderKeepsReadingThenTheFilesDisappear()
    {
        (Broker broker, Partition p) = await Filled(10);
        await using (broker)
        {
            LogSegment segment = p.Log.Segments.Snapshot[0];
            string log = segment.Log.FilePath;
            string index = segment.OffsetIndex.Path;
            Assert.That(segment.TryAcquire(), Is.True);

            await broker.DeleteRecordsAsync(p.Id, p.Segments[2].BaseOffset);

            Assert.That(segment.IsDeleted, Is.True);
            Assert.That(segment.TryAcquire(), Is.False, "no new reader");
            Assert.That(File.Exists(log), Is.False, "renamed at once: a restart would not load it");
            Assert.That(File.Exists(log + ".deleted"), Is.True, "kept for the reader");
            for (int round = 0; round < 2; round++)
            {
                using FetchResult fetch = segment.Read(p.Id, 0, 1 << 20, p.LogEndOffset, 0)!;
                long next = 0;
                foreach (RecordBatch batch in fetch)
                {
                    Assert.That((batch.IsValid, batch.BaseOffset), Is.EqualTo((true, next)));
                    next = batch.NextOffset;
                }
                Assert.That(next, Is.EqualTo(p.Segments[0].BaseOffset - p.Segments[0].BaseOffset + segment.ReadNextOffset()));
                Assert.That(segment.FindOffsetByTimestamp(Batches.BaseTime, 0), Is.Zero, "its indexes reopen at the new path");
            }

            segment.Release();

            Assert.That(Directory.GetFiles(Dir.Combine("t-0"), "*.deleted"), Is.Empty);
            Assert.That(File.Exists(index), Is.False);
        }
    }

    [Test]
    public async Task MarkDeleted_NoReader_DeletesAtOnce()
    {
        (Broker broker, Partition p) = await Filled(6);
        await using (broker)
        {
            SegmentInfo first = p.Segments[0];

            await broker.DeleteRecordsAsync(p.Id, p.Segments[1].BaseOffset);

            Assert.That(new[] { first.LogPath, first.IndexPath, first.TimeIndexPath }.Any(File.Exists), Is.False);
            Assert.That(Directory.GetFiles(Dir.Combine("t-0"), "*.deleted"), Is.Empty);
        }
    }

    [Test]
    public async Task Read_WhileRetentionDeletesSegments_ReturnsWholeBatchesOrOffsetOutOfRange()
    {
        (Broker broker, Partition p) = await Filled(60);
        await using (broker)
        {
            using var stop = new CancellationTokenSource();
            long batchesRead = 0;
            Task reader = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    long offset = p.LogStartOffset;
                    try
                    {
                        while (offset < p.LogEndOffset)
                        {
                            using FetchResult fetch = await p.ReadAsync(offset, 512);
                            foreach (RecordBatch batch in fetch)
                            {
                                Assert.That(batch.IsValid, Is.True);
                                offset = batch.NextOffset;
                                Interlocked.Increment(ref batchesRead);
                            }
                        }
                    }
                    catch (OffsetOutOfRangeException)
                    {
                        // The log start passed the reader: start again from the new one.
                    }
                }
            });
            for (long before = 4; before < p.LogEndOffset - 8; before += 4)
            {
                await broker.DeleteRecordsAsync(p.Id, before);
                await Task.Yield();
            }
            stop.Cancel();
            await reader;
            Assert.That(batchesRead, Is.GreaterThan(0));
            Assert.That(Directory.GetFiles(Dir.Combine("t-0"), "*.deleted"), Is.Empty, "every reader let go");
        }
    }
}
