using System.Text;
using System.Text.Json;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Clients.Producer;

[TestFixture]
public sealed class ProducerTests : ProducerFixture
{
    [Test]
    public async Task ProduceAsync_FlushAsync_AppendsWithOffsetsAndTimestamps()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t");
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>();
        var deliveries = new List<ValueTask<DeliveryResult>>();
        for (int i = 0; i < 10; i++)
            deliveries.Add(producer.ProduceAsync("t", new Message<string, string> { Key = $"k{i}", Value = $"v{i}" }));
        await producer.FlushAsync();

        for (int i = 0; i < 10; i++)
        {
            DeliveryResult result = await deliveries[i];
            Assert.That(result.TopicPartition, Is.EqualTo(new TopicPartition("t", 0)));
            Assert.That(result.Offset, Is.EqualTo(i));
            Assert.That(result.Timestamp, Is.EqualTo(Time.GetUtcNow()));
        }
        var (records, codecs, _) = await StoredRecords.ReadAll(topic.Partitions[0]);
        Assert.That(records.Select(r => Encoding.UTF8.GetString(r.Value!)), Is.EqualTo(Enumerable.Range(0, 10).Select(i => $"v{i}")));
        Assert.That(records.Select(r => Encoding.UTF8.GetString(r.Key!)), Is.EqualTo(Enumerable.Range(0, 10).Select(i => $"k{i}")));
        Assert.That(records.Select(r => r.Timestamp), Is.All.EqualTo(Batches.BaseTime));
        Assert.That(codecs, Has.Count.EqualTo(1), "ten small records, one flush: one batch");
    }

    [Test]
    public async Task Produce_Callback_ReportsOffsetsInOrder_BeforeFlushReturns()
    {
        await using Broker broker = await Open();
        await broker.CreateTopicAsync("t");
        await using IProducer<Null, byte[]> producer = broker.CreateProducer<Null, byte[]>();
        var reports = new List<DeliveryReport>();
        for (int i = 0; i < 1000; i++)
            producer.Produce("t", new Message<Null, byte[]> { Value = BitConverter.GetBytes(i) }, r => { lock (reports) reports.Add(r); });
        await producer.FlushAsync();

        lock (reports)
        {
            Assert.That(reports.Select(r => r.Error), Is.All.Null);
            Assert.That(reports.Select(r => r.Offset), Is.EqualTo(Enumerable.Range(0, 1000).Select(i => (long)i)));
            Assert.That(reports[5].Result.Offset, Is.EqualTo(5));
        }
    }

    [Test]
    public async Task Produce_MessageTimestampAndHeaders_AreStored()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t");
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>();
        var headers = new Headers { { "trace", [1, 2] }, { "empty", null }, { "trace", [3] } };
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_600_000_000_123);
        DeliveryResult result = await ProduceAndFlush(producer, new Message<string, string> { Key = "k", Value = "v", Headers = headers, Timestamp = at });

        Assert.That(result.Timestamp, Is.EqualTo(at));
        StoredRecord stored = (await StoredRecords.ReadAll(topic.Partitions[0])).Records.Single();
        Assert.That(stored.Timestamp, Is.EqualTo(at.ToUnixTimeMilliseconds()));
        Assert.That(stored.Headers.Select(h => h.Key), Is.EqualTo(new[] { "trace", "empty", "trace" }));
        Assert.That(stored.Headers.Select(h => h.Value), Is.EqualTo(new byte[]?[] { [1, 2], null, [3] }));
    }

    [Test]
    public async Task Produce_NullKeyAndNullValue_AreKafkaNulls()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t");
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>();
        await ProduceAndFlush(producer, new Message<string, string> { Key = null!, Value = null! });
        await ProduceAndFlush(producer, new Message<string, string> { Key = "", Value = "" });

        var records = (await StoredRecords.ReadAll(topic.Partitions[0])).Records;
        Assert.That((records[0].Key, records[0].Value), Is.EqualTo(((byte[]?)null, (byte[]?)null)));
        Assert.That(records[1].Key, Is.Empty);
        Assert.That(records[1].Value, Is.Empty);
    }

    [Test]
    public async Task CreateProducer_BuiltInSerializers_WriteKafkaBytes()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t");
        await using (IProducer<int, long> numbers = broker.CreateProducer<int, long>())
            await ProduceAndFlush(numbers, new Message<int, long> { Key = 1, Value = 2 });
        await using (IProducer<byte[], ReadOnlyMemory<byte>> bytes = broker.CreateProducer<byte[], ReadOnlyMemory<byte>>())
            await ProduceAndFlush(bytes, new Message<byte[], ReadOnlyMemory<byte>> { Key = [7], Value = new byte[] { 8, 9 } });

        var records = (await StoredRecords.ReadAll(topic.Partitions[0])).Records;
        Assert.That(records[0].Key, Is.EqualTo(new byte[] { 0, 0, 0, 1 }));
        Assert.That(records[0].Value, Is.EqualTo(new byte[] { 0, 0, 0, 0, 0, 0, 0, 2 }));
        Assert.That(records[1].Key, Is.EqualTo(new byte[] { 7 }));
        Assert.That(records[1].Value, Is.EqualTo(new byte[] { 8, 9 }));
    }

    [Test]
    public async Task CreateProducer_TypeWithoutBuiltInSerializer_AsksForOne()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t");
        var error = Assert.Throws<ArgumentException>(() => broker.CreateProducer<string, Guid>());
        Assert.That(error!.ParamName, Is.EqualTo("valueSerializer"));
        Assert.That(error.Message, Does.Contain("System.Guid"));

        await using IProducer<string, Guid> producer = broker.CreateProducer<string, Guid>(valueSerializer: Serializers.Json<Guid>());
        Guid id = Guid.NewGuid();
        await ProduceAndFlush(producer, new Message<string, Guid> { Key = "k", Value = id });
        byte[] value = (await StoredRecords.ReadAll(topic.Partitions[0])).Records.Single().Value!;
        Assert.That(JsonSerializer.Deserialize<Guid>(value), Is.EqualTo(id));
    }

    [Test]
    public async Task CreateProducer_InvalidOptions_Throw()
    {
        await using Broker broker = await Open();
        Assert.Throws<ArgumentOutOfRangeException>(() => broker.CreateProducer<string, string>(new ProducerOptions { BatchSize = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => broker.CreateProducer<string, string>(new ProducerOptions { Linger = TimeSpan.FromSeconds(-1) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => broker.CreateProducer<string, string>(new ProducerOptions { BufferMemory = 1000 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => broker.CreateProducer<string, string>(new ProducerOptions { Compression = (CompressionType)9 }));
    }

    [Test]
    public async Task FlushAsync_ReturnsWithEverythingAppended()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t", new TopicConfig { Partitions = 3 });
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions { Linger = TimeSpan.FromHours(1) });
        for (int i = 0; i < 5000; i++)
            producer.Produce("t", new Message<string, string> { Key = $"k{i}", Value = $"value {i}" });
        await producer.FlushAsync();

        Assert.That(topic.Partitions.Sum(p => p.LogEndOffset), Is.EqualTo(5000));
        await producer.FlushAsync(); // nothing left: completes at once
    }

    [Test]
    public async Task DisposeAsync_FlushesWhatIsBatched()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t");
        IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions { Linger = TimeSpan.FromHours(1) });
        ValueTask<DeliveryResult> delivery = producer.ProduceAsync("t", new Message<string, string> { Key = "k", Value = "v" });
        for (int i = 0; i < 99; i++)
            producer.Produce("t", new Message<string, string> { Key = "k", Value = "v" });

        await producer.DisposeAsync();
        Assert.That(topic.Partitions[0].LogEndOffset, Is.EqualTo(100));
        Assert.That((await delivery).Offset, Is.Zero);
        Assert.That(PoolOf(producer).CachedBuilders, Is.Zero, "the pool is released");
    }

    [Test]
    public async Task BrokerDispose_DisposesProducersLeftOpen()
    {
        Broker broker = await Open();
        await broker.CreateTopicAsync("t");
        IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions { Linger = TimeSpan.FromHours(1) });
        producer.Produce("t", new Message<string, string> { Key = "k", Value = "v" });
        await broker.DisposeAsync();

        await using Broker reopened = await Open();
        Assert.That(reopened.TryGetTopic("t", out Topic? topic), Is.True);
        Assert.That(topic!.Partitions[0].LogEndOffset, Is.EqualTo(1));
        Assert.Throws<ObjectDisposedException>(() => producer.Produce("t", new Message<string, string> { Key = "k", Value = "v" }));
    }

    [Test]
    public async Task AcksNone_CompletesWhenBatched_WithoutOffset()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t");
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(
            new ProducerOptions { Acks = Acks.None, Linger = TimeSpan.FromHours(1) });
        ValueTask<DeliveryResult> delivery = producer.ProduceAsync("t", new Message<string, string> { Key = "k", Value = "v" });
        DeliveryReport? report = null;
        producer.Produce("t", new Message<string, string> { Key = "k", Value = "v" }, r => report = r);

        Assert.That(delivery.IsCompletedSuccessfully, Is.True);
        Assert.That((await delivery).Offset, Is.EqualTo(-1));
        Assert.That(report, Is.Not.Null, "reported on the producing thread, once batched");
        Assert.That((report!.Offset, report.Error), Is.EqualTo((-1L, (Exception?)null)));
        Assert.That(topic.Partitions[0].LogEndOffset, Is.Zero, "still lingering");
        await producer.FlushAsync();
        Assert.That(topic.Partitions[0].LogEndOffset, Is.EqualTo(2));
    }

    [Test]
    public async Task AcksAll_TopicWithFlushPolicy_DeliversOnlyDurableRecords()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t", new TopicConfig { FlushMessages = 1_000_000 });
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>();
        var deliveries = Enumerable.Range(0, 50)
            .Select(i => producer.ProduceAsync("t", new Message<string, string> { Key = "k", Value = $"v{i}" }).AsTask()).ToList();
        await producer.FlushAsync();

        DeliveryResult last = await deliveries[^1];
        Assert.That(topic.Partitions[0].Log.RecoveryPoint, Is.GreaterThan(last.Offset), "fsynced before delivery");
    }

    [Test]
    public async Task AcksLeader_TopicWithFlushPolicy_DoesNotWaitForFsync()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t", new TopicConfig { FlushMessages = 1_000_000 });
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions { Acks = Acks.Leader });
        DeliveryResult result = await ProduceAndFlush(producer, new Message<string, string> { Key = "k", Value = "v" });

        Assert.That(result.Offset, Is.Zero);
        Assert.That(topic.Partitions[0].Log.RecoveryPoint, Is.Zero);
    }

    private static async Task<DeliveryResult> ProduceAndFlush<TKey, TValue>(IProducer<TKey, TValue> producer, Message<TKey, TValue> message)
    {
        ValueTask<DeliveryResult> delivery = producer.ProduceAsync("t", message);
        await producer.FlushAsync();
        return await delivery;
    }
}
