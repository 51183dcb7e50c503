using System.Diagnostics;
using LogStore.Diagnostics;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Diagnostics;

/// <summary>The "LogStore" ActivitySource's publish and receive spans, seen by an ActivityListener.</summary>
[TestFixture]
public sealed class TracingTests : DiagnosticsFixture
{
    private readonly List<Activity> _stopped = [];
    private ActivityListener? _listener;

    [TearDown]
    public void StopListening() => _listener?.Dispose();

    private void Listen()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == LogStoreTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.GetTagItem("messaging.destination.name") as string == Topic)
                {
                    lock (_stopped)
                        _stopped.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    private List<Activity> Spans(string name)
    {
        lock (_stopped)
            return [.. _stopped.Where(a => a.DisplayName == name)];
    }

    [Test]
    public async Task ProduceAsync_EmitsAPublishSpanPerMessage_WithItsPartitionAndOffset()
    {
        Listen();
        await using Broker broker = await Open();
        await broker.CreateTopicAsync(Topic, new TopicConfig { Partitions = 2 });
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions());
        using var parent = new Activity("request").Start();

        var deliveries = new List<Task<DeliveryResult>>();
        for (int i = 0; i < 3; i++)
            deliveries.Add(producer.ProduceAsync(new TopicPartition(Topic, 1), new Message<string, string> { Key = "k", Value = $"v{i}" }).AsTask());
        Assert.That(Activity.Current, Is.SameAs(parent), "the caller's current activity is left as it was");
        await producer.FlushAsync();
        DeliveryResult[] results = await Task.WhenAll(deliveries);

        List<Activity> spans = Spans("publish " + Topic);
        Assert.That(spans, Has.Count.EqualTo(3));
        foreach (Activity span in spans)
        {
            Assert.That(span.Kind, Is.EqualTo(ActivityKind.Producer));
            Assert.That(span.ParentSpanId, Is.EqualTo(parent.SpanId));
            Assert.That(span.GetTagItem("messaging.system"), Is.EqualTo("logstore"));
            Assert.That(span.GetTagItem("messaging.operation.name"), Is.EqualTo("publish"));
            Assert.That(span.GetTagItem("messaging.operation.type"), Is.EqualTo("send"));
            Assert.That(span.GetTagItem("messaging.destination.partition.id"), Is.EqualTo("1"));
            Assert.That(span.Status, Is.EqualTo(ActivityStatusCode.Unset));
        }
        Assert.That(spans.Select(s => (long)s.GetTagItem("messaging.kafka.offset")!), Is.EquivalentTo(results.Select(r => r.Offset)));
    }

    [Test]
    public async Task Produce_EndsTheSpanAtDelivery_AndStillCallsTheCallerBack()
    {
        Listen();
        await using Broker broker = await Open();
        await broker.CreateTopicAsync(Topic);
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions());

        DeliveryReport? report = null;
        producer.Produce(Topic, new Message<string, string> { Key = "k", Value = "v" }, r => report = r);
        producer.Produce(Topic, new Message<string, string> { Key = "k", Value = "w" });
        Assert.That(Activity.Current, Is.Null);
        await producer.FlushAsync();

        Assert.That(report, Is.Not.Null);
        List<Activity> spans = Spans("publish " + Topic);
        Assert.That(spans.Select(s => s.GetTagItem("messaging.kafka.offset")), Is.EquivalentTo(new object[] { 0L, 1L }));
        Assert.That(spans.Select(s => s.GetTagItem("messaging.destination.partition.id")), Is.All.EqualTo("0"));
    }

    [Test]
    public async Task ProduceAsync_TooLarge_EndsTheSpanWithAnError()
    {
        Listen();
        await using Broker broker = await Open();
        await broker.CreateTopicAsync(Topic, new TopicConfig { MaxMessageBytes = 100 });
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions());

        Assert.ThrowsAsync<RecordTooLargeException>(async () =>
            await producer.ProduceAsync(Topic, new Message<string, string> { Key = "k", Value = new string('x', 200) }));

        Activity span = Spans("publish " + Topic).Single();
        Assert.That(span.Status, Is.EqualTo(ActivityStatusCode.Error));
        Assert.That(span.GetTagItem("error.type"), Is.EqualTo(typeof(RecordTooLargeException).FullName));
    }

    [Test]
    public async Task Consume_EmitsAReceiveSpanPerRecord_WithOffsetAndGroup()
    {
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync(Topic, new TopicConfig { Partitions = 2 })).Partitions[1];
        await p.AppendAsync(Batches.Batch(Batches.Make(0, 4)));
        Listen();
        await using IConsumer<string, string> consumer = broker.CreateConsumer<string, string>(
            new ConsumerOptions { GroupId = "readers", EnableAutoCommit = false });
        consumer.Assign([new TopicPartitionOffset(p.Id, 1)]);

        int consumed = 0;
        while (await consumer.ConsumeAsync(TimeSpan.Zero) is not null)
            consumed++;

        List<Activity> spans = Spans("receive " + Topic);
        Assert.That(consumed, Is.EqualTo(3));
        Assert.That(spans.Select(s => s.GetTagItem("messaging.kafka.offset")), Is.EqualTo(new object[] { 1L, 2L, 3L }));
        foreach (Activity span in spans)
        {
            Assert.That(span.Kind, Is.EqualTo(ActivityKind.Consumer));
            Assert.That(span.GetTagItem("messaging.system"), Is.EqualTo("logstore"));
            Assert.That(span.GetTagItem("messaging.operation.type"), Is.EqualTo("receive"));
            Assert.That(span.GetTagItem("messaging.destination.partition.id"), Is.EqualTo("1"));
            Assert.That(span.GetTagItem("messaging.consumer.group.name"), Is.EqualTo("readers"));
        }
        Assert.That(Activity.Current, Is.Null);
    }
}
