namespace LogStore.Tests.Clients.Producer;

/// <summary>Produce's handler gets a <see cref="DeliveryReport{TKey, TValue}"/> with the message, and every error in it is
/// a typed <see cref="LogStoreException"/>; handlers of the base type still compile (Action is contravariant).</summary>
[TestFixture]
public sealed class DeliveryReportTests : ProducerFixture
{
    private static readonly List<DeliveryReport> s_baseReports = [];

    [Test]
    public async Task Produce_Delivered_ReportCarriesTheMessage()
    {
        await using Broker broker = await Open();
        await broker.CreateTopicAsync("t");
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>();
        var message = new Message<string, string> { Key = "k", Value = "v" };
        DeliveryReport<string, string>? report = null;

        producer.Produce("t", message, r => report = r);
        await producer.FlushAsync();

        Assert.That(report, Is.Not.Null);
        Assert.That(report!.Message, Is.SameAs(message));
        Assert.That((report.TopicPartition, report.Offset, report.Error), Is.EqualTo((new TopicPartition("t", 0), 0L, (Exception?)null)));
    }

    [Test]
    public async Task Produce_UnknownTopic_ReportCarriesTheMessageAndATypedError()
    {
        await using Broker broker = await Open();
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>();
        var message = new Message<string, string> { Key = "k", Value = "v" };
        DeliveryReport<string, string>? report = null;

        producer.Produce(new TopicPartition("missing", 0), message, r => report = r);

        Assert.That(report!.Message, Is.SameAs(message));
        Assert.That(report.Error, Is.TypeOf<UnknownTopicException>());
    }

    [Test]
    public async Task Produce_HandlerOfTheBaseType_CompilesAndGetsTheGenericReport()
    {
        await using Broker broker = await Open();
        await broker.CreateTopicAsync("t");
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>();
        lock (s_baseReports)
            s_baseReports.Clear();
        Action<DeliveryReport> handler = OnDelivery;

        // A method group and a delegate of the base type, as code written against the non-generic Produce had them.
        producer.Produce("t", new Message<string, string> { Value = "a" }, OnDelivery);
        producer.Produce(new TopicPartition("t", 0), new Message<string, string> { Value = "b" }, handler);
        await producer.FlushAsync();

        lock (s_baseReports)
        {
            Assert.That(s_baseReports.Select(r => r.Offset), Is.EqualTo(new[] { 0L, 1L }));
            Assert.That(s_baseReports.Select(r => ((DeliveryReport<string, string>)r).Message.Value), Is.EqualTo(new[] { "a", "b" }));
        }
    }

    [Test]
    public async Task Produce_SerializerThrows_ThrowsProduceExceptionNamingKeyOrValue()
    {
        await using Broker broker = await Open();
        await broker.CreateTopicAsync("t");
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(
            keySerializer: new Throwing(), valueSerializer: Serializers.Utf8);
        await using IProducer<string, string> valueFails = broker.CreateProducer<string, string>(
            keySerializer: Serializers.Utf8, valueSerializer: new Throwing());
        bool reported = false;

        var key = Assert.Throws<ProduceException>(() => producer.Produce("t", new Message<string, string> { Key = "k", Value = "v" }, _ => reported = true));
        var value = Assert.ThrowsAsync<ProduceException>(async () => await valueFails.ProduceAsync("t", new Message<string, string> { Key = "k", Value = "v" }));

        Assert.That(key!.Message, Does.Contain("key").And.Contain("'t'"));
        Assert.That(key.InnerException, Is.TypeOf<FormatException>());
        Assert.That(key.TopicPartition, Is.EqualTo(new TopicPartition("t", -1)));
        Assert.That(value!.Message, Does.Contain("value"));
        Assert.That(reported, Is.False);
        Assert.That(broker.Topics.Single().Partitions[0].LogEndOffset, Is.Zero);
    }

    [Test]
    public async Task Produce_TopicDeletedBeforeTheBatchIsAppended_ReportsATypedError()
    {
        await using Broker broker = await Open();
        await broker.CreateTopicAsync("t");
        // A linger the fake clock never reaches: the batch stays open until the flush, after the delete.
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions { Linger = TimeSpan.FromHours(1) });
        var message = new Message<string, string> { Value = "v" };
        var delivered = new TaskCompletionSource<DeliveryReport<string, string>>(TaskCreationOptions.RunContinuationsAsynchronously);

        producer.Produce("t", message, r => delivered.TrySetResult(r));
        await broker.DeleteTopicAsync("t");
        await producer.FlushAsync().AsTask().WaitAsync(Guard);
        DeliveryReport<string, string> report = await delivered.Task.WaitAsync(Guard);

        Assert.That(report.Error, Is.TypeOf<ProduceException>());
        Assert.That(report.Error!.InnerException, Is.InstanceOf<ObjectDisposedException>());
        Assert.That(((ProduceException)report.Error).TopicPartition, Is.EqualTo(new TopicPartition("t", 0)));
        Assert.That(report.Message, Is.SameAs(message));
        Assert.That(report.Offset, Is.EqualTo(-1));
    }

    private static void OnDelivery(DeliveryReport report)
    {
        lock (s_baseReports)
            s_baseReports.Add(report);
    }

    private sealed class Throwing : ISerializer<string>
    {
        public void Serialize(string value, System.Buffers.IBufferWriter<byte> output) => throw new FormatException("refused");
    }
}
