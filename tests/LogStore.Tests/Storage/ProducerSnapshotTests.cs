using System.Text;
using LogStore.Storage;
using LogStore.Storage.Producers;
using LogStore.Tests.Diagnostics;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Storage;

/// <summary>
/// The producer state's snapshots beside the segments (Kafka's <c>&lt;offset&gt;.snapshot</c>): written when a segment
/// rolls and at close, loaded at the next open with only the batches after them replayed, ignored when damaged, and
/// removed when retention or a cut tail leaves them outside the log; a read-only open writes none.
/// </summary>
public sealed class ProducerSnapshotTests : BrokerFixture
{
    private const long ProducerId = 4242;

    // Small segments: a batch of filler rolls one about every other append.
    private static readonly TopicConfig SmallSegments = new() { SegmentBytes = 600, IndexIntervalBytes = 64 };

    private static RecordBatch Idempotent(int baseSequence, int count, short epoch = 0)
    {
        using var builder = new RecordBatchBuilder { ProducerId = ProducerId, ProducerEpoch = epoch, BaseSequence = baseSequence };
        for (int i = 0; i < count; i++)
            builder.Append(Batches.BaseTime, Encoding.UTF8.GetBytes("k"), Encoding.UTF8.GetBytes($"seq{baseSequence + i}"));
        return RecordBatch.Parse(builder.Build().Memory.ToArray());
    }

    /// <summary>A batch without a producer id, large enough that two fill a small segment.</summary>
    private static RecordBatch Filler(int id) => Batches.Batch(Batches.Make(id * 4, 4, valueSize: 60));

    private ValueTask<Broker> Open(CapturingLoggerFactory? logs = null) =>
        Broker.OpenAsync(new BrokerOptions { DataDirectory = Dir.Path, TimeProvider = Time, LoggerFactory = logs });

    private string PartitionDirectory => Dir.Combine("t-0");

    private long[] SnapshotOffsets() =>
        [.. Directory.EnumerateFiles(PartitionDirectory, "*.snapshot").Select(f => long.Parse(Path.GetFileNameWithoutExtension(f))).Order()];

    private List<ProducerSnapshotEntry> ReadSnapshot(long offset) =>
        ProducerSnapshotFile.Read(LogFileNames.ProducerSnapshotFile(PartitionDirectory, offset), out string? problem)
        ?? throw new AssertionException($"snapshot {offset} is unusable: {problem}");

    /// <summary>Appends filler until the partition has rolled <paramref name="rolls"/> more segments.</summary>
    private static async Task RollSegments(Partition p, int rolls)
    {
        int target = p.Segments.Count + rolls;
        for (int i = 0; p.Segments.Count < target; i++)
        {
            Assert.That(i, Is.LessThan(100), "the segments did not roll");
            await p.AppendAsync(Filler(i));
        }
    }

    [Test]
    public async Task Close_WritesASnapshotAtTheLogEnd_WithEachProducersLastBatch()
    {
        await using (Broker broker = await Open())
        {
            Partition p = (await broker.CreateTopicAsync("t")).Partitions[0];
            await p.AppendAsync(Idempotent(0, 3));
            await p.AppendAsync(Batches.Batch(Batches.Make(0, 2)));
            await p.AppendAsync(Idempotent(3, 2));
        }

        Assert.That(SnapshotOffsets(), Is.EqualTo(new[] { 7L }));
        Assert.That(ReadSnapshot(7), Is.EqualTo(new[] { new ProducerSnapshotEntry(ProducerId, 0, 4, 6, 1, Batches.BaseTime) }));
    }

    [Test]
    public async Task Roll_WritesASnapshotNamedByTheNewSegment_HoldingTheStateBeforeIt()
    {
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync("t", SmallSegments)).Partitions[0];
        await p.AppendAsync(Idempotent(0, 2));
        await RollSegments(p, 1);
        long rolledAt = p.Segments[^1].BaseOffset;
        await p.AppendAsync(Idempotent(2, 1));

        Assert.That(SnapshotOffsets(), Is.EqualTo(new[] { rolledAt }), "written at the roll, while the broker runs");
        Assert.That(ReadSnapshot(rolledAt).Single().LastSequence, Is.EqualTo(1), "the state as the roll found it");
    }

    [Test]
    public async Task Reopen_RetryWhoseFirstAttemptIsOnlyInAnOldSegment_IsStillRecognised()
    {
        long first;
        long end;
        await using (Broker broker = await Open())
        {
            Partition p = (await broker.CreateTopicAsync("t", SmallSegments)).Partitions[0];
            first = (await p.AppendAsync(Idempotent(0, 3))).BaseOffset;
            // Three rolls: the batch is in none of the last two segments, which is all a rebuild without snapshots scans.
            await RollSegments(p, 3);
            end = p.LogEndOffset;
        }
        await using Broker reopened = await Open();
        Partition again = reopened.Topics.Single().Partitions[0];

        AppendResult retry = await again.AppendAsync(Idempotent(0, 3));

        Assert.That(retry.BaseOffset, Is.EqualTo(first), "answered with the first attempt's offsets");
        Assert.That(again.LogEndOffset, Is.EqualTo(end), "the retry appended nothing");
    }

    [Test]
    public async Task CrashReopen_LoadsTheRollSnapshot_AndReplaysOnlyTheBatchesAfterIt()
    {
        long first;
        long second;
        TempDirectory image;
        await using (Broker broker = await Open())
        {
            Partition p = (await broker.CreateTopicAsync("t", SmallSegments)).Partitions[0];
            first = (await p.AppendAsync(Idempotent(0, 3))).BaseOffset;
            await RollSegments(p, 3);
            second = (await p.AppendAsync(Idempotent(3, 2))).BaseOffset;
            image = Dir.CrashImage();
        }
        using (image)
        {
            await using Broker reopened = await Broker.OpenAsync(new BrokerOptions { DataDirectory = image.Path, TimeProvider = Time });
            Partition again = reopened.Topics.Single().Partitions[0];
            long end = again.LogEndOffset;

            // The first batch is known from the snapshot (it is in no segment a rebuild would scan), the second from the
            // replay of the active segment after it: both are retries.
            AppendResult retryFirst = await again.AppendAsync(Idempotent(0, 3));
            AppendResult retrySecond = await again.AppendAsync(Idempotent(3, 2));
            AppendResult next = await again.AppendAsync(Idempotent(5, 1));

            Assert.That((retryFirst.BaseOffset, retrySecond.BaseOffset), Is.EqualTo((first, second)));
            Assert.That(next.BaseOffset, Is.EqualTo(end), "the next sequence follows the replayed batch");
        }
    }

    [TestCase("bit flip")]
    [TestCase("torn")]
    [TestCase("forged state, stale CRC")]
    public async Task Open_UnusableSnapshot_IsIgnoredLoggedAndTheStateRebuiltFromTheSegments(string damage)
    {
        long first;
        await using (Broker broker = await Open())
        {
            Partition p = (await broker.CreateTopicAsync("t")).Partitions[0];
            first = (await p.AppendAsync(Idempotent(0, 3))).BaseOffset;
        }
        string snapshot = LogFileNames.ProducerSnapshotFile(PartitionDirectory, 3);
        byte[] bytes = File.ReadAllBytes(snapshot);
        switch (damage)
        {
            case "bit flip":
                bytes[^1] ^= 0x40;
                break;
            case "torn":
                bytes = bytes[..7];
                break;
            default:
                // A well-formed snapshot saying the producer is at sequence 100, under the CRC of the real one: were it
                // believed, the retry below would be refused as out of order.
                byte[] forged = ProducerSnapshotFile.Encode([new ProducerSnapshotEntry(ProducerId, 0, 100, 2, 2, Batches.BaseTime)]);
                bytes = [.. bytes[..6], .. forged[6..]];
                break;
        }
        File.WriteAllBytes(snapshot, bytes);
        var logs = new CapturingLoggerFactory();

        await using Broker reopened = await Open(logs);
        Partition again = reopened.Topics.Single().Partitions[0];
        AppendResult retry = await again.AppendAsync(Idempotent(0, 3));

        Assert.That(retry.BaseOffset, Is.EqualTo(first), "the state was rebuilt from the segment");
        Assert.That(again.LogEndOffset, Is.EqualTo(3));
        Assert.That(logs.WithId(1260).Single().Message, Does.Contain(Path.GetFileName(snapshot)));
        Assert.That(File.Exists(snapshot), Is.False, "the unusable snapshot is deleted");
    }

    [Test]
    public async Task Open_SnapshotAboveTheLogEnd_IsDeletedAndNotBelieved()
    {
        await using (Broker broker = await Open())
        {
            Partition p = (await broker.CreateTopicAsync("t")).Partitions[0];
            await p.AppendAsync(Batches.Batch(Batches.Make(0, 4)));
        }
        // What a crash leaves when recovery cuts the log below a roll's snapshot: its state holds batches that are gone.
        // This one says the producer's batch 0-2 is at offsets 100-102, which the log no longer has.
        string stale = LogFileNames.ProducerSnapshotFile(PartitionDirectory, 200);
        File.WriteAllBytes(stale, ProducerSnapshotFile.Encode([new ProducerSnapshotEntry(ProducerId, 0, 2, 102, 2, Batches.BaseTime)]));

        await using Broker reopened = await Open();
        Partition again = reopened.Topics.Single().Partitions[0];
        Assert.That(File.Exists(stale), Is.False);
        AppendResult appended = await again.AppendAsync(Idempotent(0, 3));

        Assert.That(appended.BaseOffset, Is.EqualTo(4), "appended, not taken for a retry of a batch that is gone");
    }

    [Test]
    public async Task Retention_DeletesSnapshotsBelowTheLogStart_AndKeepsTheNewestTwo()
    {
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync("t", SmallSegments)).Partitions[0];
        await p.AppendAsync(Idempotent(0, 1));
        await RollSegments(p, 4);
        long[] rolled = SnapshotOffsets();
        Assert.That(rolled, Has.Length.EqualTo(ProducerSnapshots.Kept), "older ones are deleted as new ones come");
        Assert.That(rolled[^1], Is.EqualTo(p.Segments[^1].BaseOffset));

        // Records before the newest snapshot go: the older snapshot is below the log start.
        await broker.DeleteRecordsAsync(p.Id, rolled[^1]);

        Assert.That(SnapshotOffsets(), Is.EqualTo(new[] { rolled[^1] }));
        Assert.That(p.LogStartOffset, Is.EqualTo(rolled[^1]));
    }

    [Test]
    public async Task RetentionByTime_DeletesTheSnapshotsOfTheDeletedSegments()
    {
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync("t", new TopicConfig { SegmentBytes = 600, RetentionTime = TimeSpan.FromHours(1) })).Partitions[0];
        await p.AppendAsync(Idempotent(0, 1));
        await RollSegments(p, 3);
        Time.Advance(TimeSpan.FromHours(2));

        broker.Retention.RunOnce();

        // The expired active segment was rolled (a snapshot at the log end) and deleted with the others and their snapshots.
        Assert.That(p.LogStartOffset, Is.EqualTo(p.LogEndOffset), "every expired segment was deleted");
        Assert.That(SnapshotOffsets(), Is.EqualTo(new[] { p.LogEndOffset }));
    }

    [Test]
    public async Task OpenReadOnly_WritesNoSnapshot_AndDeletesNone()
    {
        await using (Broker broker = await Open())
        {
            Partition p = (await broker.CreateTopicAsync("t", SmallSegments)).Partitions[0];
            await p.AppendAsync(Idempotent(0, 2));
            await RollSegments(p, 2);
        }
        foreach (string file in Directory.EnumerateFiles(PartitionDirectory, "*.snapshot"))
            File.Delete(file);
        string stale = LogFileNames.ProducerSnapshotFile(PartitionDirectory, 9_999);
        File.WriteAllBytes(stale, ProducerSnapshotFile.Encode([]));
        string[] before = [.. Directory.EnumerateFiles(PartitionDirectory).Order()];

        await using (Broker reader = await Broker.OpenReadOnlyAsync(new BrokerOptions { DataDirectory = Dir.Path, TimeProvider = Time }))
        {
            Partition p = reader.Topics.Single().Partitions[0];
            Assert.That(await Batches.ReadAll(p), Is.Not.Empty);
        }

        Assert.That(Directory.EnumerateFiles(PartitionDirectory).Order(), Is.EqualTo(before));
    }
}
