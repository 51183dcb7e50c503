using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Diagnostics;

/// <summary>Records and bytes appended and read, append latency and segment counts, seen by a MeterListener.</summary>
[TestFixture]
public sealed class TrafficMetricsTests : DiagnosticsFixture
{
    [Test]
    public async Task AppendAsync_CountsTheRecordsAndBytesAppended_OncePerCall()
    {
        using var meter = new MeterCapture(Topic);
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync(Topic, new TopicConfig { Partitions = 2 })).Partitions[1];
        long bytes = 0;
        for (int i = 0; i < 5; i++)
        {
            byte[] batch = Batches.Make(i * 3, 3);
            bytes += batch.Length;
            await p.AppendAsync(Batches.Batch(batch));
        }

        Assert.That(meter.Sum("logstore.records.appended"), Is.EqualTo(15));
        Assert.That(meter.Sum("logstore.bytes.appended"), Is.EqualTo(bytes));
        Assert.That(meter.Of("logstore.records.appended"), Has.Count.EqualTo(5), "one measurement per append call");
        Assert.That(meter.Of("logstore.records.appended").Select(m => m.Partition), Is.All.EqualTo(1));
        Assert.That(meter.Of("logstore.append.duration"), Has.Count.EqualTo(5));
        Assert.That(meter.Of("logstore.append.duration").Select(m => m.Value), Is.All.GreaterThanOrEqualTo(0));
    }

    [Test]
    public async Task RejectedAppend_CountsNothing()
    {
        using var meter = new MeterCapture(Topic);
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync(Topic, new TopicConfig { MaxMessageBytes = 100 })).Partitions[0];

        Assert.ThrowsAsync<RecordTooLargeException>(async () => await p.AppendAsync(Batches.Batch(Batches.Make(0, 10, valueSize: 50))));

        Assert.That(meter.Sum("logstore.records.appended"), Is.Zero);
        Assert.That(meter.Sum("logstore.bytes.appended"), Is.Zero);
    }

    [Test]
    public async Task Producer_CountsEveryRecordItDelivered()
    {
        using var meter = new MeterCapture(Topic);
        await using Broker broker = await Open();
        await broker.CreateTopicAsync(Topic, new TopicConfig { Partitions = 3 });
        await using (IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions()))
        {
            for (int i = 0; i < 100; i++)
                producer.Produce(Topic, new Message<string, string> { Key = $"k{i}", Value = $"v{i}" });
            await producer.FlushAsync();
        }
        Topic topic = broker.Topics.Single(t => t.Name == Topic);

        Assert.That(meter.Sum("logstore.records.appended"), Is.EqualTo(100));
        Assert.That(meter.Sum("logstore.bytes.appended"), Is.EqualTo(topic.Partitions.Sum(p => p.Segments.Sum(s => s.SizeInBytes))));
        foreach (Partition p in topic.Partitions)
        {
            Assert.That(meter.Of("logstore.records.appended").Where(m => m.Partition == p.Id.Partition).Sum(m => m.Value),
                Is.EqualTo(p.LogEndOffset), $"partition {p.Id.Partition}");
        }
    }

    [Test]
    public async Task Reads_CountTheRecordsAndBytesOfTheBatchesRead()
    {
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync(Topic)).Partitions[0];
        for (int i = 0; i < 4; i++)
            await p.AppendAsync(Batches.Batch(Batches.Make(i * 5, 5)));
        long size = p.Segments.Sum(s => s.SizeInBytes);
        using var meter = new MeterCapture(Topic);

        var records = await Batches.ReadAll(p);
        using (FetchResult empty = await p.ReadAsync(p.LogEndOffset, 1024))
            Assert.That(empty.IsEmpty, Is.True);

        Assert.That(records, Has.Count.EqualTo(20));
        Assert.That(meter.Sum("logstore.records.read"), Is.EqualTo(20));
        Assert.That(meter.Sum("logstore.bytes.read"), Is.EqualTo(size));
    }

    [Test]
    public async Task Consumer_CountsWhatItFetched()
    {
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync(Topic)).Partitions[0];
        await p.AppendAsync(Batches.Batch(Batches.Make(0, 30)));
        using var meter = new MeterCapture(Topic);
        await using IConsumer<string, string> consumer = broker.CreateConsumer<string, string>(new ConsumerOptions());
        consumer.Assign([new TopicPartitionOffset(p.Id, 0)]);

        int consumed = 0;
        while (await consumer.ConsumeAsync(TimeSpan.Zero) is not null)
            consumed++;

        Assert.That(consumed, Is.EqualTo(30));
        Assert.That(meter.Sum("logstore.records.read"), Is.EqualTo(30));
    }

    [Test]
    public async Task SegmentCount_Observed_IsTheNumberOfSegments()
    {
        using var meter = new MeterCapture(Topic);
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync(Topic, new TopicConfig { SegmentBytes = 300 })).Partitions[0];
        for (int i = 0; i < 6; i++)
            await p.AppendAsync(Batches.Batch(Batches.Make(i * 4, 4)));

        meter.Observe();

        Assert.That(p.Segments, Has.Count.GreaterThan(1));
        Assert.That(meter.Of("logstore.segment.count").Single().Value, Is.EqualTo(p.Segments.Count));
        Assert.That(meter.Of("logstore.log.size").Single().Value, Is.EqualTo(p.Segments.Sum(s => s.SizeInBytes)));
    }
}
