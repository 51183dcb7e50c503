using LogStore.Retention;
using LogStore.Storage;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Retention;

[TestFixture]
public sealed class LogCleanerTests : RetentionFixture
{
    private static TopicConfig Compacted(long segmentBytes = 200, int indexIntervalBytes = 4096, double ratio = 0.5,
        CleanupPolicy policy = CleanupPolicy.Compact, TimeSpan? deleteRetention = null, TimeSpan? retention = null) => new()
    {
        SegmentBytes = segmentBytes,
        IndexIntervalBytes = indexIntervalBytes,
        CleanupPolicy = policy,
        MinCleanableDirtyRatio = ratio,
        DeleteRetentionTime = deleteRetention ?? TimeSpan.FromDays(1),
        RetentionTime = retention ?? TimeSpan.FromDays(7),
    };

    private long Now => Time.GetUtcNow().ToUnixTimeMilliseconds();

    private async Task<Partition> Create(Broker broker, TopicConfig? config = null) =>
        (await broker.CreateTopicAsync("t", config ?? Compacted())).Partitions[0];

    /// <summary>One single-record batch per entry, so segments of 200 bytes hold two or three of them.</summary>
    private async Task AppendEach(Partition p, params (string? Key, string? Value)[] records)
    {
        foreach ((string? key, string? value) record in records)
            await p.AppendAsync(Keyed(Now, record));
        await Settle(p);
    }

    /// <summary>What compaction must keep: below the active segment, the last record of each key there; the active
    /// segment untouched.</summary>
    private static List<(long, string, string?)> ExpectedAfterClean(List<(long Offset, string Key, string? Value)> before, long activeBase)
    {
        var latest = new Dictionary<string, long>();
        foreach (var r in before.Where(r => r.Offset < activeBase))
            latest[r.Key] = r.Offset;
        return [.. before.Where(r => r.Offset >= activeBase || latest[r.Key] == r.Offset)];
    }

    [Test]
    public async Task Clean_OverwrittenKeys_KeepsTheLatestValueOfEachKeyAtItsOffset()
    {
        await using Broker broker = await Open();
        Partition p = await Create(broker);
        await AppendEach(p, ("a", "1"), ("b", "1"), ("a", "2"), ("c", "1"), ("b", "2"), ("a", "3"), ("d", "1"), ("c", "2"), ("e", "1"), ("a", "4"));
        var before = await ReadAll(p);
        long activeBase = p.Segments[^1].BaseOffset;
        Assert.That(p.Segments.Count, Is.GreaterThan(3));

        CleanResult result = CleanerOf(broker).Clean(p.Log);

        Assert.That(result.Outcome, Is.EqualTo(SwapOutcome.Swapped));
        var after = await ReadAll(p);
        Assert.That(after, Is.EqualTo(ExpectedAfterClean(before, activeBase)));
        Assert.That(Latest(after), Is.EqualTo(Latest(before)));
        Assert.That(p.LogEndOffset, Is.EqualTo(10));
        Assert.That((await p.AppendAsync(Keyed(Now, ("f", "1")))).BaseOffset, Is.EqualTo(10), "offsets go on after a clean");
        Assert.That(FilesOf(Dir.Combine("t-0"), "*.*ed").Concat(FilesOf(Dir.Combine("t-0"), "*.swap")), Is.Empty, "no .cleaned, .swap or .deleted left");
    }

    [Test]
    public async Task Clean_ActiveSegment_IsNeverRewritten()
    {
        await using Broker broker = await Open();
        Partition p = await Create(broker);
        await AppendEach(p, ("a", "1"), ("a", "2"), ("a", "3"), ("a", "4"), ("a", "5"));
        SegmentInfo active = p.Segments[^1];
        byte[] activeBytes = File.ReadAllBytes(active.LogPath);

        CleanerOf(broker).Clean(p.Log);

        Assert.That(p.Segments[^1].BaseOffset, Is.EqualTo(active.BaseOffset));
        Assert.That(File.ReadAllBytes(p.Segments[^1].LogPath), Is.EqualTo(activeBytes));
        Assert.That((await ReadAll(p)).Select(r => r.Value), Does.Contain("5"));
    }

    [Test]
    public async Task Clean_Tombstone_StaysForDeleteRetentionThenGoes()
    {
        await using Broker broker = await Open();
        Partition p = await Create(broker);
        await AppendEach(p, ("a", "1"), ("b", "1"), ("a", null), ("c", "1"), ("x", "1"), ("x", "2"), ("x", "3"));
        LogCleaner cleaner = CleanerOf(broker);

        cleaner.Clean(p.Log);
        var first = await ReadAll(p);
        Assert.That(first.Where(r => r.Key == "a"), Is.EqualTo(new[] { (2L, "a", (string?)null) }), "the value went, the tombstone stays");

        Time.Advance(TimeSpan.FromDays(1) - TimeSpan.FromMilliseconds(1));
        cleaner.Clean(p.Log);
        Assert.That((await ReadAll(p)).Count(r => r.Key == "a"), Is.EqualTo(1), "within delete.retention.ms of the first clean");
        Assert.That(cleaner.CleanDirtyLogs(CancellationToken.None), Is.Zero, "nothing dirty and no horizon passed");

        Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That(cleaner.CleanDirtyLogs(CancellationToken.None), Is.EqualTo(1), "a passed delete horizon makes the log due");
        var last = await ReadAll(p);
        Assert.That(last.Where(r => r.Key == "a"), Is.Empty);
        Assert.That(Latest(last).Keys, Is.EquivalentTo(new[] { "b", "c", "x" }));
    }

    [Test]
    public async Task Clean_OldTimestampTombstone_StillWaitsForDeleteRetention()
    {
        await using Broker broker = await Open();
        Partition p = await Create(broker);
        await p.AppendAsync(Keyed(Now, ("a", "1")));
        await p.AppendAsync(Keyed(Now - TimeSpan.FromDays(30).Ticks / TimeSpan.TicksPerMillisecond, ("a", null)));
        await AppendEach(p, ("x", "1"), ("x", "2"), ("x", "3"));

        CleanerOf(broker).Clean(p.Log);

        var records = await ReadAll(p);
        Assert.That(records.Where(r => r.Key == "a"), Is.EqualTo(new[] { (1L, "a", (string?)null) }));
        using FetchResult fetch = await p.ReadAsync(1, 1024);
        foreach (RecordBatch batch in fetch)
        {
            Assert.That(batch.HasDeleteHorizon, Is.True);
            foreach (Record record in batch)
                Assert.That(record.Timestamp, Is.EqualTo(Now - TimeSpan.FromDays(30).Ticks / TimeSpan.TicksPerMillisecond), "rebasing keeps timestamps");
            break;
        }
    }

    [Test]
    public async Task Clean_RemovedOffsets_ReadsAndIndexLookupsLandOnTheNextRecord()
    {
        await using Broker broker = await Open();
        Partition p = await Create(broker, Compacted(segmentBytes: 2000, indexIntervalBytes: 0));
        for (int i = 0; i < 60; i++)
            await p.AppendAsync(Keyed(Now, ($"k{i % 7}", $"v{i}")));
        CleanerOf(broker).Clean(p.Log);
        var kept = (await ReadAll(p)).Select(r => r.Offset).ToArray();
        Assert.That(kept.Length, Is.LessThan(60));

        for (long offset = 0; offset < p.LogEndOffset; offset++)
        {
            long expected = kept.First(k => k >= offset);
            Assert.That(await FirstRecordFrom(p, offset), Is.EqualTo(expected), $"read at {offset}");
        }
    }

    /// <summary>Reads as a consumer does, one batch at a time from <paramref name="offset"/>, moving to each batch's next
    /// offset, until a record at or after it appears.</summary>
    private static async Task<long?> FirstRecordFrom(Partition p, long offset)
    {
        long next = offset;
        while (next < p.LogEndOffset)
        {
            using FetchResult fetch = await p.ReadAsync(next, 1);
            foreach (RecordBatch batch in fetch)
            {
                Assert.That(batch.LastOffset, Is.GreaterThanOrEqualTo(next), "a read never returns a batch wholly below the offset");
                foreach (Record record in batch)
                {
                    if (record.Offset >= offset)
                        return record.Offset;
                }
                next = batch.NextOffset;
            }
        }
        return null;
    }

    [TestCase(CompressionType.Gzip)]
    [TestCase(CompressionType.Lz4)]
    [TestCase(CompressionType.Zstd)]
    public async Task Clean_CompressedBatches_KeepsTheirCodecAndProducerFields(CompressionType codec)
    {
        await using Broker broker = await Open();
        Partition p = await Create(broker, Compacted(segmentBytes: 400));
        for (int i = 0; i < 8; i++)
            await p.AppendAsync(Keyed(Now, codec, ($"a", $"{i}"), ($"b{i}", "x"), ($"c", $"{i}")));
        var before = await ReadAll(p);
        long activeBase = p.Segments[^1].BaseOffset;

        CleanerOf(broker).Clean(p.Log);

        Assert.That(await ReadAll(p), Is.EqualTo(ExpectedAfterClean(before, activeBase)));
        using FetchResult fetch = await p.ReadAsync(0, 1 << 20);
        foreach (RecordBatch batch in fetch)
        {
            Assert.That(batch.Compression, Is.EqualTo(codec));
            Assert.That(batch.LastOffsetDelta, Is.EqualTo(2), "the batch keeps its last offset");
            Assert.That(batch.ProducerId, Is.EqualTo(-1));
        }
    }

    [Test]
    public async Task Clean_ManySmallSegments_GroupsThemUpToSegmentBytes()
    {
        await using Broker broker = await Open();
        // segment.ms of a minute and records two minutes apart: one small segment per record.
        Partition p = await Create(broker, new TopicConfig { CleanupPolicy = CleanupPolicy.Compact, SegmentBytes = 300, SegmentRollTime = TimeSpan.FromMinutes(1) });
        for (int i = 0; i < 20; i++)
            await p.AppendAsync(Keyed(Now + i * 120_000L, ($"k{i % 3}", $"v{i}")));
        long[] before = BaseOffsets(p);
        Assert.That(before, Has.Length.EqualTo(20));

        CleanerOf(broker).Clean(p.Log);

        long[] after = BaseOffsets(p);
        Assert.That(after.Length, Is.LessThan(before.Length / 2));
        Assert.That(after, Is.SubsetOf(before), "cleaned segments keep the base offset of their group's first");
        Assert.That(p.Segments.All(s => s.SizeInBytes <= 300), Is.True);
        Assert.That(Latest(await ReadAll(p)), Has.Count.EqualTo(3));
    }

    [Test]
    public async Task Clean_KeylessRecords_AreDropped()
    {
        await using Broker broker = await Open();
        Partition p = await Create(broker);
        await AppendEach(p, (null, "orphan"), ("a", "1"), ("x", "1"), ("x", "2"), ("x", "3"));

        CleanerOf(broker).Clean(p.Log);

        Assert.That((await ReadAll(p)).Select(r => r.Value), Does.Not.Contain("orphan"));
    }

    [Test]
    public async Task CleanDirtyLogs_DirtyRatio_DecidesWhenToClean()
    {
        await using Broker broker = await Open();
        Partition p = await Create(broker, Compacted(ratio: 0.5));
        LogCleaner cleaner = CleanerOf(broker);
        for (int i = 0; i < 12; i++)
            await p.AppendAsync(Keyed(Now, ($"k{i % 2}", $"v{i}")));
        Assert.That(cleaner.DirtyRatio(p.Log), Is.EqualTo(1.0));

        Assert.That(cleaner.CleanDirtyLogs(CancellationToken.None), Is.EqualTo(1));
        Assert.That(cleaner.DirtyRatio(p.Log), Is.Zero);
        Assert.That(cleaner.CleanDirtyLogs(CancellationToken.None), Is.Zero);
        long firstDirty = cleaner.FirstDirtyOffset(p.Id);
        Assert.That(firstDirty, Is.EqualTo(p.Segments[^1].BaseOffset));
        Assert.That(File.ReadAllLines(Dir.Combine(CleanerCheckpoint.FileName)), Is.EqualTo(new[] { "0", "1", $"t 0 {firstDirty}" }));

        for (int i = 0; i < 8; i++)
            await p.AppendAsync(Keyed(Now, ($"k{i % 2}", $"w{i}")));
        Assert.That(cleaner.DirtyRatio(p.Log), Is.GreaterThanOrEqualTo(0.5));
        Assert.That(cleaner.CleanDirtyLogs(CancellationToken.None), Is.EqualTo(1));
        Assert.That(Latest(await ReadAll(p)).Values, Is.SubsetOf(new[] { "w6", "w7", "v10", "v11", "w4", "w5" }));
    }

    [Test]
    public async Task Clean_ThenReopen_LoadsTheCleanedSegments()
    {
        List<(long, string, string?)> after;
        await using (Broker broker = await Open())
        {
            Partition p = await Create(broker, Compacted(ratio: 0.25, deleteRetention: TimeSpan.FromHours(3)));
            await AppendEach(p, ("a", "1"), ("b", "1"), ("a", "2"), ("b", "2"), ("c", "1"), ("a", "3"), ("z", "1"));
            CleanerOf(broker).Clean(p.Log);
            after = await ReadAll(p);
        }
        await using (Broker reopened = await Open())
        {
            Partition p = reopened.Topics.Single().Partitions[0];
            Assert.That(await ReadAll(p), Is.EqualTo(after));
            Assert.That(p.OffsetForTimestamp(DateTimeOffset.FromUnixTimeMilliseconds(Now)), Is.EqualTo(after[0].Item1));
            Assert.That(reopened.Topics.Single().Config.DeleteRetentionTime, Is.EqualTo(TimeSpan.FromHours(3)));
            Assert.That(reopened.Topics.Single().Config.MinCleanableDirtyRatio, Is.EqualTo(0.25));
            Assert.That(CleanerOf(reopened).FirstDirtyOffset(p.Id), Is.EqualTo(p.Segments[^1].BaseOffset), "the checkpoint was read back");
        }
    }

    [Test]
    public async Task RunOnce_CompactAndDelete_CompactsAndAppliesTimeRetention()
    {
        await using Broker broker = await Open();
        Partition p = await Create(broker, Compacted(policy: CleanupPolicy.CompactAndDelete, retention: TimeSpan.FromHours(1)));
        await AppendEach(p, ("a", "1"), ("a", "2"), ("a", "3"), ("b", "1"), ("b", "2"), ("c", "1"));
        broker.Retention.RunOnce();
        Assert.That((await ReadAll(p)).Where(r => r.Key == "a").Select(r => r.Value), Is.EqualTo(new[] { "3" }), "compacted");
        Time.Advance(TimeSpan.FromHours(2));
        broker.Retention.RunOnce();
        Assert.That(p.LogStartOffset, Is.EqualTo(p.LogEndOffset), "then expired by time");
    }
    [TestCase(-0.1)]
    [TestCase(1.5)]
    [TestCase(double.NaN)]
    public async Task CreateTopicAsync_DirtyRatioOutOfRange_Throws(double ratio)
    {
        await using Broker broker = await Open();
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await broker.CreateTopicAsync("t", Compacted(ratio: ratio)));
    }

    [Test]
    public async Task Open_ConfigWrittenBeforeTheCleanerSettings_UsesKafkaDefaults()
    {
        await using (Broker broker = await Open())
            await broker.CreateTopicAsync("t", Compacted(ratio: 0.3, deleteRetention: TimeSpan.FromHours(2)));
        string file = Dir.Combine("topic-configs", "t.conf");
        File.WriteAllLines(file, File.ReadAllLines(file).Where(l => !l.StartsWith("delete.retention.ms", StringComparison.Ordinal) && !l.StartsWith("min.cleanable", StringComparison.Ordinal)));

        await using Broker reopened = await Open();
        TopicConfig config = reopened.Topics.Single().Config;
        Assert.That((config.DeleteRetentionTime, config.MinCleanableDirtyRatio), Is.EqualTo((TimeSpan.FromDays(1), 0.5)));
    }
}
