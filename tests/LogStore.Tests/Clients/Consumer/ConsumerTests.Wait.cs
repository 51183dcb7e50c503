using static LogStore.Tests.Clients.ConsumerTestSupport;

namespace LogStore.Tests.Clients;

public sealed partial class ConsumerTests
{
    // Only a guard against a hung test; no assertion depends on real time.
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    [Test]
    public async Task ConsumeAsync_AtLogEnd_WaitsAndWakesOnAppend()
    {
        Partition p = (await Topic()).Partitions[0];
        await using IConsumer<string, string> consumer = Create();
        consumer.Assign([new TopicPartitionOffset(p.Id, 0)]);

        Task<ConsumeResult<string, string>?> consume = consumer.ConsumeAsync(TimeSpan.FromMinutes(1)).AsTask();
        Assert.That(consume.IsCompleted, Is.False);
        await Append(p, 0, 3);

        ConsumeResult<string, string>? result = await consume.WaitAsync(Guard);
        Assert.That(result!.Message.Value, Is.EqualTo("v0"));
        Assert.That((await Drain(consumer)).Count, Is.EqualTo(2));
    }

    [Test]
    public async Task ConsumeAsync_SeveralIdlePartitions_WakesOnAppendToAnyOfThem()
    {
        Topic topic = await Topic(partitions: 4);
        await using IConsumer<string, string> consumer = Create();
        consumer.Assign(topic.Partitions.Select(p => new TopicPartitionOffset(p.Id, 0)));

        Task<ConsumeResult<string, string>?> consume = consumer.ConsumeAsync(TimeSpan.FromMinutes(1)).AsTask();
        Assert.That(consume.IsCompleted, Is.False);
        await Append(topic.Partitions[2], 0, 1);

        ConsumeResult<string, string>? result = await consume.WaitAsync(Guard);
        Assert.That(result!.TopicPartition, Is.EqualTo(topic.Partitions[2].Id));
        await Append(topic.Partitions[0], 1, 1);
        Assert.That((await consumer.ConsumeAsync(TimeSpan.FromMinutes(1)).AsTask().WaitAsync(Guard))!.Message.Value, Is.EqualTo("v1"));
    }

    [Test]
    public async Task ConsumeAsync_NothingArrives_ReturnsNullWhenTheFakeClockPassesTheTimeout()
    {
        Topic topic = await Topic(partitions: 2);
        await using IConsumer<string, string> consumer = Create();
        consumer.Assign(topic.Partitions.Select(p => new TopicPartitionOffset(p.Id, 0)));

        Task<ConsumeResult<string, string>?> consume = consumer.ConsumeAsync(TimeSpan.FromSeconds(5)).AsTask();
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.That(consume.IsCompleted, Is.False);
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.That(await consume.WaitAsync(Guard), Is.Null);
    }

    [Test]
    public async Task ConsumeAsync_Cancelled_ThrowsOperationCanceled()
    {
        Partition p = (await Topic()).Partitions[0];
        await using IConsumer<string, string> consumer = Create();
        consumer.Assign([new TopicPartitionOffset(p.Id, 0)]);
        using var cts = new CancellationTokenSource();

        Task<ConsumeResult<string, string>?> consume = consumer.ConsumeAsync(Timeout.InfiniteTimeSpan, cts.Token).AsTask();
        await cts.CancelAsync();

        Assert.That(async () => await consume.WaitAsync(Guard), Throws.InstanceOf<OperationCanceledException>());
        await Append(p, 0, 1);
        Assert.That((await consumer.ConsumeAsync(TimeSpan.Zero))!.Offset, Is.EqualTo(0), "the consumer stays usable");
    }

    [Test]
    public async Task ConsumeAllAsync_YieldsRecordsAsTheyArrive_UntilCancelled()
    {
        Partition p = (await Topic()).Partitions[0];
        await Append(p, 0, 2);
        await using IConsumer<string, string> consumer = Create();
        consumer.Assign([new TopicPartitionOffset(p.Id, 0)]);
        using var cts = new CancellationTokenSource();
        var seen = new List<long>();

        Task all = Task.Run(async () =>
        {
            await foreach (ConsumeResult<string, string> result in consumer.ConsumeAllAsync(cts.Token))
            {
                seen.Add(result.Offset);
                if (result.Offset == 1)
                    await Append(p, 2, 2);
                if (result.Offset == 3)
                    await cts.CancelAsync();
            }
        });

        Assert.That(async () => await all.WaitAsync(Guard), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(seen, Is.EqualTo(new long[] { 0, 1, 2, 3 }));
    }

    [TestCase(false, true)]
    [TestCase(true, false)]
    [TestCase(true, true)]
    public async Task ConsumeAllAsync_EndsWhenEitherTokenIsCancelled_WhileWaiting(bool cancelMethodToken, bool cancelEnumeratorToken)
    {
        Partition p = (await Topic()).Partitions[0];
        await Append(p, 0, 1);
        await using IConsumer<string, string> consumer = Create();
        consumer.Assign([new TopicPartitionOffset(p.Id, 0)]);
        using var methodCts = new CancellationTokenSource();
        using var enumeratorCts = new CancellationTokenSource();
        var seen = new List<long>();

        Task all = Task.Run(async () =>
        {
            await foreach (ConsumeResult<string, string> result in consumer.ConsumeAllAsync(methodCts.Token).WithCancellation(enumeratorCts.Token))
            {
                seen.Add(result.Offset);
                // The next MoveNextAsync waits: nothing follows offset 0. Cancelling now ends that wait.
                if (cancelMethodToken)
                    await methodCts.CancelAsync();
                if (cancelEnumeratorToken)
                    await enumeratorCts.CancelAsync();
            }
        });

        Assert.That(async () => await all.WaitAsync(Guard), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(seen, Is.EqualTo(new long[] { 0 }));
    }

    [Test]
    public async Task DisposeAsync_WhileAnotherThreadWaitsInConsumeAllAsync_EndsItWithObjectDisposed()
    {
        Partition p = (await Topic()).Partitions[0];
        IConsumer<string, string> consumer = Create();
        consumer.Assign([new TopicPartitionOffset(p.Id, 0)]);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        Task loop = Task.Run(async () =>
        {
            started.SetResult();
            await foreach (ConsumeResult<string, string> _ in consumer.ConsumeAllAsync())
            {
            }
        });
        await started.Task;
        await consumer.DisposeAsync();

        Assert.That(async () => await loop.WaitAsync(Guard), Throws.InstanceOf<ObjectDisposedException>());
    }
}
