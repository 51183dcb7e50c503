namespace LogStore.Tests.Clients.Producer;

[TestFixture]
public sealed class ProducerBatchingTests : ProducerFixture
{
    [Test]
    public async Task Linger_SealsAPartialBatch_WhenTimeAdvances()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t");
        var linger = TimeSpan.FromMilliseconds(50);
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions { Linger = linger });
        var deliveries = Enumerable.Range(0, 3)
            .Select(i => producer.ProduceAsync("t", new Message<string, string> { Value = $"v{i}" }).AsTask()).ToList();

        Time.Advance(linger - TimeSpan.FromMilliseconds(1));
        Assert.That(deliveries.Any(d => d.IsCompleted), Is.False, "the batch lingers");
        Assert.That(topic.Partitions[0].LogEndOffset, Is.Zero);
        Time.Advance(TimeSpan.FromMilliseconds(1));

        DeliveryResult[] results = await Task.WhenAll(deliveries).WaitAsync(Guard);
        Assert.That(results.Select(r => r.Offset), Is.EqualTo(new long[] { 0, 1, 2 }));
        Assert.That((await StoredRecords.ReadAll(topic.Partitions[0])).Codecs, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Linger_SecondBatch_HasItsOwnLinger()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t");
        var linger = TimeSpan.FromMilliseconds(50);
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions { Linger = linger });
        Task<DeliveryResult> first = producer.ProduceAsync("t", new Message<string, string> { Value = "a" }).AsTask();
        Time.Advance(linger);
        await first.WaitAsync(Guard);

        Task<DeliveryResult> second = producer.ProduceAsync("t", new Message<string, string> { Value = "b" }).AsTask();
        Time.Advance(linger / 2);
        Assert.That(second.IsCompleted, Is.False);
        Time.Advance(linger / 2);
        Assert.That((await second.WaitAsync(Guard)).Offset, Is.EqualTo(1));
    }

    [Test]
    public async Task BatchSize_FullBatchIsSealed_WithoutWaitingForLinger()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t");
        await using IProducer<string, byte[]> producer = broker.CreateProducer<string, byte[]>(
            new ProducerOptions { BatchSize = 1024, Linger = TimeSpan.FromHours(1) });
        var deliveries = Enumerable.Range(0, 20)
            .Select(_ => producer.ProduceAsync("t", new Message<string, byte[]> { Value = new byte[100] }).AsTask()).ToList();

        // Time never moves: only the batches that filled up can be appended.
        DeliveryResult firstResult = await deliveries[0].WaitAsync(Guard);
        Assert.That(firstResult.Offset, Is.Zero);
        Assert.That(deliveries[^1].IsCompleted, Is.False, "the last batch is not full");
        await producer.FlushAsync();

        using FetchResult fetch = await topic.Partitions[0].ReadAsync(0, 1 << 20);
        foreach (RecordBatch batch in fetch)
            Assert.That(batch.SizeInBytes, Is.LessThanOrEqualTo(1024));
        Assert.That(fetch.BatchCount, Is.InRange(3, 4), "20 × ~110 bytes in 1 KiB batches");
    }

    [Test]
    public async Task ManySmallRecords_BecomeFewLargeAppends()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t");
        await using IProducer<Null, byte[]> producer = broker.CreateProducer<Null, byte[]>();
        var message = new Message<Null, byte[]> { Value = new byte[100] };
        for (int i = 0; i < 10_000; i++)
            producer.Produce("t", message);
        await producer.FlushAsync();

        var (records, codecs, bytes) = await StoredRecords.ReadAll(topic.Partitions[0]);
        Assert.That(records, Has.Count.EqualTo(10_000));
        Assert.That(codecs.Count, Is.LessThanOrEqualTo((bytes / (16 * 1024)) + 2), "batches close to batch.size each");
    }

    [Test]
    public async Task RecordLargerThanBatchSize_TravelsInItsOwnBatch()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t");
        await using IProducer<string, byte[]> producer = broker.CreateProducer<string, byte[]>(
            new ProducerOptions { BatchSize = 1024, Linger = TimeSpan.FromHours(1) });
        producer.Produce("t", new Message<string, byte[]> { Value = new byte[10] });
        Task<DeliveryResult> big = producer.ProduceAsync("t", new Message<string, byte[]> { Value = new byte[5000] }).AsTask();
        producer.Produce("t", new Message<string, byte[]> { Value = new byte[10] });

        Assert.That((await big.WaitAsync(Guard)).Offset, Is.EqualTo(1), "sealed at once: nothing else could join it");
        await producer.FlushAsync();
        using FetchResult fetch = await topic.Partitions[0].ReadAsync(0, 1 << 20);
        var counts = new List<int>();
        foreach (RecordBatch batch in fetch)
            counts.Add(batch.RecordCount);
        Assert.That(counts, Is.EqualTo(new[] { 1, 1, 1 }));
        Assert.That(PoolOf(producer).AvailableMemory, Is.EqualTo(new ProducerOptions().BufferMemory), "the oversized buffer went back");
    }

    [Test]
    public async Task BatchesNeverPassTheTopicsMaxMessageBytes()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t", new TopicConfig { MaxMessageBytes = 2000 });
        await using IProducer<string, byte[]> producer = broker.CreateProducer<string, byte[]>();
        var reports = new List<DeliveryReport>();
        for (int i = 0; i < 100; i++)
            producer.Produce("t", new Message<string, byte[]> { Value = new byte[100] }, r => { lock (reports) reports.Add(r); });
        await producer.FlushAsync();

        lock (reports)
            Assert.That(reports.Select(r => r.Error), Is.All.Null);
        using FetchResult fetch = await topic.Partitions[0].ReadAsync(0, 1 << 20);
        foreach (RecordBatch batch in fetch)
            Assert.That(batch.SizeInBytes, Is.LessThanOrEqualTo(2000));
    }
}
