namespace LogStore.Tests.Clients.Producer;

[TestFixture]
public sealed class ProducerErrorTests : ProducerFixture
{
    [Test]
    public async Task Produce_UnknownTopic_ReportsUnknownTopicAtOnce()
    {
        await using Broker broker = await Open();
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>();
        DeliveryReport? report = null;
        producer.Produce("missing", new Message<string, string> { Key = "k", Value = "v" }, r => report = r);

        Assert.That(report, Is.Not.Null);
        Assert.That(report!.Error, Is.InstanceOf<UnknownTopicException>());
        Assert.That(report.Offset, Is.EqualTo(-1));
        Assert.Throws<UnknownTopicException>(() => _ = report.Result);
        Assert.ThrowsAsync<UnknownTopicException>(async () => await producer.ProduceAsync("missing", new Message<string, string> { Value = "v" }));
    }

    [Test]
    public async Task ProduceAsync_PartitionOutOfRange_IsUnknownTopic()
    {
        await using Broker broker = await Open();
        await broker.CreateTopicAsync("t", new TopicConfig { Partitions = 2 });
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>();

        var error = Assert.ThrowsAsync<UnknownTopicException>(async () =>
            await producer.ProduceAsync(new TopicPartition("t", 2), new Message<string, string> { Value = "v" }));
        Assert.That(error!.Partition, Is.EqualTo(2));
        DeliveryResult ok = await Delivered(producer, producer.ProduceAsync(new TopicPartition("t", 1), new Message<string, string> { Value = "v" }));
        Assert.That(ok.TopicPartition.Partition, Is.EqualTo(1));
    }

    [Test]
    public async Task ProduceAsync_TopicCreatedLater_IsFound()
    {
        await using Broker broker = await Open();
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>();
        Assert.ThrowsAsync<UnknownTopicException>(async () => await producer.ProduceAsync("t", new Message<string, string> { Value = "v" }));

        await broker.CreateTopicAsync("t");
        DeliveryResult result = await Delivered(producer, producer.ProduceAsync("t", new Message<string, string> { Value = "v" }));
        Assert.That(result.Offset, Is.Zero);
    }

    [Test]
    public async Task Produce_RecordOverMaxMessageBytes_FailsThatRecordOnly()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t", new TopicConfig { MaxMessageBytes = 1000 });
        await using IProducer<string, byte[]> producer = broker.CreateProducer<string, byte[]>();
        var reports = new List<DeliveryReport>();
        producer.Produce("t", new Message<string, byte[]> { Value = new byte[10] }, r => { lock (reports) reports.Add(r); });
        producer.Produce("t", new Message<string, byte[]> { Value = new byte[1000] }, r => { lock (reports) reports.Add(r); });
        producer.Produce("t", new Message<string, byte[]> { Value = new byte[900] }, r => { lock (reports) reports.Add(r); });
        await producer.FlushAsync();

        lock (reports)
        {
            DeliveryReport tooLarge = reports.Single(r => r.Error is not null);
            Assert.That(tooLarge.Error, Is.InstanceOf<RecordTooLargeException>());
            Assert.That(((RecordTooLargeException)tooLarge.Error!).MaxMessageBytes, Is.EqualTo(1000));
            Assert.That(reports.Where(r => r.Error is null).Select(r => r.Offset), Is.EquivalentTo(new long[] { 0, 1 }));
        }
        Assert.That(topic.Partitions[0].LogEndOffset, Is.EqualTo(2));
        Assert.ThrowsAsync<RecordTooLargeException>(async () => await producer.ProduceAsync("t", new Message<string, byte[]> { Value = new byte[2000] }));
    }

    [Test]
    public async Task Produce_NegativeTimestamp_FailsThatRecordOnlyWithInvalidTimestamp()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t");
        await using IProducer<string, byte[]> producer = broker.CreateProducer<string, byte[]>();
        DateTimeOffset before1970 = DateTimeOffset.FromUnixTimeMilliseconds(-1000);
        var reports = new List<DeliveryReport>();
        producer.Produce("t", new Message<string, byte[]> { Value = [1] }, r => { lock (reports) reports.Add(r); });
        // Both producer paths: a raw value batched in place, and a key that goes through the serializer.
        producer.Produce("t", new Message<string, byte[]> { Value = [2], Timestamp = before1970 }, r => { lock (reports) reports.Add(r); });
        producer.Produce("t", new Message<string, byte[]> { Key = "k", Value = [3], Timestamp = before1970 }, r => { lock (reports) reports.Add(r); });
        producer.Produce("t", new Message<string, byte[]> { Value = [4] }, r => { lock (reports) reports.Add(r); });
        await producer.FlushAsync();

        lock (reports)
        {
            DeliveryReport[] refused = reports.Where(r => r.Error is not null).ToArray();
            Assert.That(refused, Has.Length.EqualTo(2));
            Assert.That(refused.Select(r => r.Error), Is.All.InstanceOf<InvalidTimestampException>());
            Assert.That(((InvalidTimestampException)refused[0].Error!).Timestamp, Is.EqualTo(-1000));
            Assert.That(((InvalidTimestampException)refused[0].Error!).TopicPartition, Is.EqualTo(new TopicPartition("t", 0)));
            Assert.That(reports.Where(r => r.Error is null).Select(r => r.Offset), Is.EquivalentTo(new long[] { 0, 1 }));
        }
        Assert.That(topic.Partitions[0].LogEndOffset, Is.EqualTo(2));
        var e = Assert.ThrowsAsync<InvalidTimestampException>(async () =>
            await producer.ProduceAsync("t", new Message<string, byte[]> { Key = "k", Value = [5], Timestamp = before1970 }));
        Assert.That(e!.Timestamp, Is.EqualTo(-1000));
        Assert.ThrowsAsync<InvalidTimestampException>(async () =>
            await producer.ProduceAsync(new TopicPartition("t", 0), new Message<string, byte[]> { Value = [6], Timestamp = before1970 }));
    }

    [Test]
    public async Task Produce_AfterDispose_ThrowsObjectDisposed()
    {
        await using Broker broker = await Open();
        await broker.CreateTopicAsync("t");
        IProducer<string, string> producer = broker.CreateProducer<string, string>();
        await producer.DisposeAsync();
        await producer.DisposeAsync();

        var message = new Message<string, string> { Value = "v" };
        Assert.Throws<ObjectDisposedException>(() => producer.Produce("t", message));
        Assert.Throws<ObjectDisposedException>(() => producer.ProduceAsync("t", message));
        Assert.Throws<ObjectDisposedException>(() => producer.FlushAsync());
    }

    [Test]
    public async Task Produce_CallbackThrows_SenderGoesOn()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t");
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>();
        producer.Produce("t", new Message<string, string> { Value = "a" }, _ => throw new InvalidOperationException("user bug"));
        await producer.FlushAsync();
        DeliveryResult next = await Delivered(producer, producer.ProduceAsync("t", new Message<string, string> { Value = "b" }));

        Assert.That(next.Offset, Is.EqualTo(1));
        Assert.That(topic.Partitions[0].LogEndOffset, Is.EqualTo(2));
    }

    [Test]
    public async Task Produce_SerializerThrows_ThrowsProduceExceptionToTheCaller_AndNothingIsBatched()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t");
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(valueSerializer: new FailingSerializer());
        var thrown = Assert.Throws<ProduceException>(() => producer.Produce("t", new Message<string, string> { Value = "v" }));
        Assert.That(thrown!.InnerException, Is.TypeOf<FormatException>());
        var failed = Assert.ThrowsAsync<ProduceException>(async () => await producer.ProduceAsync("t", new Message<string, string> { Value = "v" }));
        Assert.That(failed!.InnerException, Is.TypeOf<FormatException>());
        await producer.FlushAsync();
        Assert.That(topic.Partitions[0].LogEndOffset, Is.Zero);
    }

    [Test]
    public async Task ProduceAsync_TopicDeletedWhileBatched_FailsTheBatchRecords()
    {
        await using Broker broker = await Open();
        await broker.CreateTopicAsync("t");
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions { Linger = TimeSpan.FromHours(1) });
        ValueTask<DeliveryResult> first = producer.ProduceAsync("t", new Message<string, string> { Value = "a" });
        ValueTask<DeliveryResult> second = producer.ProduceAsync("t", new Message<string, string> { Value = "b" });
        await broker.DeleteTopicAsync("t");
        await producer.FlushAsync();

        // Typed, as every delivery error: the closed partition is the cause inside.
        Assert.That(Assert.ThrowsAsync<ProduceException>(async () => await first)!.InnerException, Is.InstanceOf<ObjectDisposedException>());
        Assert.That(Assert.ThrowsAsync<ProduceException>(async () => await second)!.InnerException, Is.InstanceOf<ObjectDisposedException>());
        Assert.ThrowsAsync<UnknownTopicException>(async () => await producer.ProduceAsync("t", new Message<string, string> { Value = "c" }));
    }

    [Test]
    public async Task ProduceAsync_CustomPartitionerOutOfRange_Fails()
    {
        await using Broker broker = await Open();
        await broker.CreateTopicAsync("t", new TopicConfig { Partitions = 2 });
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions { Partitioner = new FixedPartitioner(5) });
        Assert.ThrowsAsync<InvalidOperationException>(async () => await producer.ProduceAsync("t", new Message<string, string> { Value = "v" }));
    }

    private static async Task<DeliveryResult> Delivered(IProducer<string, string> producer, ValueTask<DeliveryResult> delivery)
    {
        await producer.FlushAsync();
        return await delivery;
    }

    private sealed class FailingSerializer : ISerializer<string>
    {
        public void Serialize(string value, System.Buffers.IBufferWriter<byte> output) => throw new FormatException("bad value");
    }

    private sealed class FixedPartitioner(int partition) : IPartitioner
    {
        public int Partition(string topic, ReadOnlySpan<byte> keyBytes, bool keyIsNull, int partitionCount) => partition;
    }
}
