using System.Diagnostics.Metrics;
using LogStore.Diagnostics;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Retention;

/// <summary>The "LogStore" meter's instruments, observed with a <see cref="MeterListener"/> filtered to this test's topic.</summary>
[TestFixture]
public sealed class LogStoreMetricsTests : RetentionFixture
{
    private readonly List<(string Instrument, double Value, string? Reason)> _measurements = [];
    private MeterListener _listener = null!;
    private string _topic = null!;

    [SetUp]
    public void StartListening()
    {
        _topic = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == LogStoreMetrics.MeterName)
                    listener.EnableMeasurementEvents(instrument);
            },
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    [TearDown]
    public void StopListening() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? topic = null, reason = null;
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            if (tag.Key == "logstore.topic")
                topic = tag.Value as string;
            else if (tag.Key == "logstore.reason")
                reason = tag.Value as string;
        }
        if (topic == _topic)
        {
            lock (_measurements)
                _measurements.Add((instrument.Name, value, reason));
        }
    }

    private double Sum(string instrument, string? reason = null)
    {
        lock (_measurements)
            return _measurements.Where(m => m.Instrument == instrument && (reason is null || m.Reason == reason)).Sum(m => m.Value);
    }

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
        lock (_measurements)
            Assert.That(_measurements.Count(m => m.Instrument == "logstore.fsync.duration"), Is.EqualTo(Sum("logstore.fsyncs")));
    }

    [Test]
    public async Task LogSize_Observed_IsTheSizeOfEverySegment()
    {
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync(_topic, new TopicConfig { SegmentBytes = 300 })).Partitions[0];
        for (int i = 0; i < 5; i++)
            await p.AppendAsync(Batches.Batch(Batches.Make(i * 4, 4)));

        _listener.RecordObservableInstruments();

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
