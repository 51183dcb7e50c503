using LogStore.Tests.Diagnostics;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Retention;

/// <summary>The "LogStore" meter's instruments, observed with a <see cref="MeterCapture"/> filtered to this test's topic.</summary>
[TestFixture]
public sealed class LogStoreMetricsTests : RetentionFixture
{
    private MeterCapture _capture = null!;
    private string _topic = null!;

    [SetUp]
    public void StartListening()
    {
        _topic = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        _capture = new MeterCapture(_topic);
    }

    [TearDown]
    public void StopListening() => _capture.Dispose();

    private double Sum(string instrument, string? reason = null) =>
        _capture.Of(instrument).Where(m => reason is null || m.Tags.GetValueOrDefault("logstore.reason") as string == reason).Sum(m => m.Value);

    [Test]
    public async Task Retention_DeletingSegments_CountsSegmentsAndBytes()
    {
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync(_topic, new TopicConfig { SegmentBytes = 300, RetentionTime = TimeSpan.FromHours(1) })).Partitions[0];
        for (int i = 0; i < 6; i++)
            await p.AppendAsync(Batches.Batch(Batches.Make(i * 4, 4)));
        Time.Advance(TimeSpan.FromDays(1));

        int deleted = broker.Retention.RunOnce();

        Assert.That(Sum("logstore.segments.deleted", "retention.time"), Is.EqualTo(deleted));
        Assert.That(Sum("logstore.bytes.reclaimed", "retention.time"), Is.GreaterThan(0));
    }

    [Test]
    public async Task Flush_CountsFsyncsAndTheirDuration()
    {
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync(_topic)).Partitions[0];
        await p.AppendAsync(Batches.Batch(Batches.Make(0, 4)));

        await p.FlushAsync();

        Assert.That(Sum("logstore.fsyncs"), Is.GreaterThanOrEqualTo(1));
        Assert.That(_capture.Of("logstore.fsync.duration"), Has.Count.EqualTo(Sum("logstore.fsyncs")));
    }

    [Test]
    public async Task LogSize_Observed_IsTheSizeOfEverySegment()
    {
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync(_topic, new TopicConfig { SegmentBytes = 300 })).Partitions[0];
        for (int i = 0; i < 5; i++)
            await p.AppendAsync(Batches.Batch(Batches.Make(i * 4, 4)));

        _capture.Observe();

        Assert.That(Sum("logstore.log.size"), Is.EqualTo(p.Segments.Sum(s => s.SizeInBytes)));
    }

    [Test]
    public async Task Cleaner_Compaction_CountsARun()
    {
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync(_topic, new TopicConfig { SegmentBytes = 200, CleanupPolicy = CleanupPolicy.Compact })).Partitions[0];
        for (int i = 0; i < 6; i++)
            await p.AppendAsync(Keyed(Batches.BaseTime, ("k", $"v{i}")));

        CleanerOf(broker).Clean(p.Log);

        Assert.That(Sum("logstore.cleaner.runs"), Is.EqualTo(1));
        Assert.That(Sum("logstore.segments.deleted", "compaction"), Is.GreaterThan(0));
    }
}
