using System.Runtime.CompilerServices;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Diagnostics;

/// <summary><c>logstore.consumer.lag</c>: the high watermark less each open consumer's position.</summary>
[TestFixture]
public sealed class ConsumerLagTests : DiagnosticsFixture
{
    [Test]
    public async Task Lag_IsTheUnconsumedBacklog_AndZeroOnceConsumed()
    {
        using var meter = new MeterCapture(Topic);
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync(Topic, new TopicConfig { Partitions = 2 });
        await topic.Partitions[0].AppendAsync(Batches.Batch(Batches.Make(0, 7)));
        await topic.Partitions[1].AppendAsync(Batches.Batch(Batches.Make(7, 3)));
        await using IConsumer<string, string> consumer = broker.CreateConsumer<string, string>(
            new ConsumerOptions { GroupId = "g1", AutoOffsetReset = AutoOffsetReset.Earliest, EnableAutoCommit = false });
        consumer.Assign([new TopicPartitionOffset(topic.Partitions[0].Id, 0), new TopicPartitionOffset(topic.Partitions[1].Id, 1)]);

        meter.Observe();
        Assert.That(Lags(meter), Is.EqualTo(new Dictionary<int, double> { [0] = 7, [1] = 2 }));
        Assert.That(meter.Of("logstore.consumer.lag").Select(m => m.Group), Is.All.EqualTo("g1"));

        for (int i = 0; i < 4; i++)
            Assert.That(await consumer.ConsumeAsync(TimeSpan.Zero), Is.Not.Null);
        meter.Observe();
        Assert.That(meter.Sum("logstore.consumer.lag"), Is.EqualTo(9 - 4));

        while (await consumer.ConsumeAsync(TimeSpan.Zero) is not null)
        {
        }
        meter.Observe();
        Assert.That(Lags(meter), Is.EqualTo(new Dictionary<int, double> { [0] = 0, [1] = 0 }));

        await topic.Partitions[1].AppendAsync(Batches.Batch(Batches.Make(10, 5)));
        meter.Observe();
        Assert.That(Lags(meter), Is.EqualTo(new Dictionary<int, double> { [0] = 0, [1] = 5 }));
    }

    [Test]
    public async Task Lag_OfASubscribedConsumer_IsReportedOnceItsPositionsAreKnown()
    {
        using var meter = new MeterCapture(Topic);
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync(Topic)).Partitions[0];
        await p.AppendAsync(Batches.Batch(Batches.Make(0, 6)));
        await using IConsumer<string, string> consumer = broker.CreateConsumer<string, string>(
            new ConsumerOptions { GroupId = "g2", AutoOffsetReset = AutoOffsetReset.Earliest, EnableAutoCommit = false });
        consumer.Subscribe([Topic]);

        meter.Observe();
        Assert.That(meter.Of("logstore.consumer.lag"), Is.Empty, "no partition assigned yet");

        Assert.That(await consumer.ConsumeAsync(TimeSpan.Zero), Is.Not.Null);
        meter.Observe();
        Assert.That(meter.Of("logstore.consumer.lag").Single().Value, Is.EqualTo(5));
        Assert.That(meter.Of("logstore.consumer.lag").Single().Group, Is.EqualTo("g2"));
    }

    [Test]
    public async Task DisposedConsumer_IsNoLongerReported()
    {
        using var meter = new MeterCapture(Topic);
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync(Topic)).Partitions[0];
        await p.AppendAsync(Batches.Batch(Batches.Make(0, 3)));
        IConsumer<string, string> consumer = broker.CreateConsumer<string, string>(new ConsumerOptions());
        consumer.Assign([new TopicPartitionOffset(p.Id, 0)]);
        meter.Observe();
        Assert.That(meter.Of("logstore.consumer.lag").Single().Value, Is.EqualTo(3));
        Assert.That(meter.Of("logstore.consumer.lag").Single().Group, Is.Null);

        await consumer.DisposeAsync();
        meter.Observe();

        Assert.That(meter.Of("logstore.consumer.lag"), Is.Empty);
    }

    [Test]
    public async Task ConsumerDroppedWithoutDispose_IsCollected()
    {
        using var meter = new MeterCapture(Topic);
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync(Topic)).Partitions[0];
        await p.AppendAsync(Batches.Batch(Batches.Make(0, 3)));
        WeakReference dropped = CreateAndDrop(broker, p.Id);

        for (int i = 0; i < 5 && dropped.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.That(dropped.IsAlive, Is.False, "the metrics keep no strong reference to a consumer");
        meter.Observe();
        Assert.That(meter.Of("logstore.consumer.lag"), Is.Empty);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference CreateAndDrop(Broker broker, TopicPartition tp)
    {
        IConsumer<string, string> consumer = broker.CreateConsumer<string, string>(new ConsumerOptions { EnableAutoCommit = false });
        consumer.Assign([new TopicPartitionOffset(tp, 0)]);
        return new WeakReference(consumer);
    }

    private static Dictionary<int, double> Lags(MeterCapture meter) =>
        meter.Of("logstore.consumer.lag").ToDictionary(m => m.Partition, m => m.Value);
}
