namespace LogStore.Tests.Clients.Producer;

/// <summary>
/// A producer whose sender is stalled — a delivery callback blocks it, as a slow disk would — fills its buffer memory:
/// producing then waits up to MaxBlock and fails, and recovers once batches drain.
/// </summary>
[TestFixture]
public sealed class ProducerBufferMemoryTests : ProducerFixture
{
    private const int BatchSize = 1024;
    private static readonly TimeSpan MaxBlock = TimeSpan.FromSeconds(2);

    private static readonly ProducerOptions TwoBuffers = new()
    {
        BatchSize = BatchSize,
        BufferMemory = 2 * BatchSize,
        Linger = TimeSpan.FromHours(1),
        MaxBlock = MaxBlock,
    };

    /// <summary>Records of 870 bytes fit this topic's 950-byte batches alone, so each is sealed the moment it is batched.</summary>
    private static readonly TopicConfig OneRecordPerBatch = new() { MaxMessageBytes = 950 };

    private static Message<Null, byte[]> Record() => new() { Value = new byte[870] };

    /// <summary>Leaves the sender stuck in a callback and both buffers held by sealed batches; returns the gate.</summary>
    private static async Task<SemaphoreSlim> FillWhileSenderIsStalled(IProducer<Null, byte[]> producer)
    {
        var entered = new SemaphoreSlim(0);
        var gate = new SemaphoreSlim(0);
        producer.Produce("t", Record(), _ => { entered.Release(); gate.Wait(); });
        Assert.That(await entered.WaitAsync(Guard), Is.True, "record 0 appended, its buffer back; the sender is stuck in its callback");
        producer.Produce("t", Record());
        producer.Produce("t", Record());
        Assert.That(PoolOf(producer).AvailableMemory, Is.Zero);
        return gate;
    }

    private async Task<(Broker, Topic, IProducer<Null, byte[]>)> Start()
    {
        Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t", OneRecordPerBatch);
        return (broker, topic, broker.CreateProducer<Null, byte[]>(TwoBuffers));
    }

    [Test]
    public async Task ProduceAsync_PoolExhausted_WaitsMaxBlock_ThenThrows_ThenRecovers()
    {
        var (broker, topic, producer) = await Start();
        await using (broker)
        await using (producer)
        {
            SemaphoreSlim gate = await FillWhileSenderIsStalled(producer);
            Task<DeliveryResult> blocked = producer.ProduceAsync("t", Record()).AsTask();
            Assert.That(blocked.IsCompleted, Is.False);
            Assert.That(PoolOf(producer).HasWaiters, Is.True);
            Time.Advance(MaxBlock - TimeSpan.FromMilliseconds(1));
            Assert.That(blocked.IsCompleted, Is.False);
            Time.Advance(TimeSpan.FromMilliseconds(1));
            var error = Assert.ThrowsAsync<BufferExhaustedException>(() => blocked.WaitAsync(Guard));
            Assert.That(error!.Message, Does.Contain("BufferMemory").And.Contain("MaxBlock"));

            gate.Release();
            DeliveryResult after = await producer.ProduceAsync("t", Record()).AsTask().WaitAsync(Guard);
            Assert.That(after.Offset, Is.EqualTo(3), "records 0–2 appended; the timed-out one never was");
            Assert.That(topic.Partitions[0].LogEndOffset, Is.EqualTo(4));
        }
    }

    [Test]
    public async Task ProduceAsync_PoolExhausted_ProceedsWhenABufferComesBack()
    {
        var (broker, topic, producer) = await Start();
        await using (broker)
        await using (producer)
        {
            SemaphoreSlim gate = await FillWhileSenderIsStalled(producer);
            ValueTask<DeliveryResult> waiting = producer.ProduceAsync("t", Record());
            Assert.That(PoolOf(producer).HasWaiters, Is.True);

            gate.Release();
            Assert.That((await waiting.AsTask().WaitAsync(Guard)).Offset, Is.EqualTo(3));
            Assert.That(topic.Partitions[0].LogEndOffset, Is.EqualTo(4));
        }
    }

    [Test]
    public async Task Produce_PoolExhausted_BlocksTheThread_ThenThrows_ThenProceeds()
    {
        var (broker, topic, producer) = await Start();
        await using (broker)
        await using (producer)
        {
            SemaphoreSlim gate = await FillWhileSenderIsStalled(producer);
            Task blocked = Task.Run(() => producer.Produce("t", Record()));
            Assert.That(SpinWait.SpinUntil(() => PoolOf(producer).HasWaiters, Guard), Is.True);
            Assert.That(blocked.IsCompleted, Is.False);
            Time.Advance(MaxBlock);
            Assert.That(() => blocked.WaitAsync(Guard), Throws.InstanceOf<BufferExhaustedException>());

            Task proceeds = Task.Run(() => producer.Produce("t", Record()));
            Assert.That(SpinWait.SpinUntil(() => PoolOf(producer).HasWaiters, Guard), Is.True);
            gate.Release();
            await proceeds.WaitAsync(Guard);
            await producer.FlushAsync().AsTask().WaitAsync(Guard);
            Assert.That(topic.Partitions[0].LogEndOffset, Is.EqualTo(4));
        }
    }

    [Test]
    public async Task ProduceAsync_PoolExhausted_HonoursCancellation()
    {
        var (broker, _, producer) = await Start();
        await using (broker)
        await using (producer)
        {
            SemaphoreSlim gate = await FillWhileSenderIsStalled(producer);
            using var cts = new CancellationTokenSource();
            Task<DeliveryResult> waiting = producer.ProduceAsync("t", Record(), cts.Token).AsTask();
            Assert.That(waiting.IsCompleted, Is.False);

            cts.Cancel();
            Assert.That(() => waiting.WaitAsync(Guard), Throws.InstanceOf<OperationCanceledException>());
            Assert.That(PoolOf(producer).HasWaiters, Is.False);
            gate.Release();
        }
    }

    [Test]
    public async Task WaitingForMemory_SealsLingeringBatches_SoTheyDrain()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t", new TopicConfig { Partitions = 3 });
        await using IProducer<string, byte[]> producer = broker.CreateProducer<string, byte[]>(TwoBuffers);
        string[] keys = [.. Enumerable.Range(0, 3).Select(KeyFor)];

        // Two lingering batches hold both buffers; a third partition needs one. Time never moves, so only the pool's
        // "exhausted" signal can seal them (as Kafka's accumulator sends every batch when the pool runs dry).
        producer.Produce("t", new Message<string, byte[]> { Key = keys[0], Value = new byte[900] });
        producer.Produce("t", new Message<string, byte[]> { Key = keys[1], Value = new byte[900] });
        await Task.Run(() => producer.Produce("t", new Message<string, byte[]> { Key = keys[2], Value = new byte[900] })).WaitAsync(Guard);

        // The third record got a buffer once one sealed batch was appended; the other may still be on its way. Were it
        // not sealed, it would linger for ever on this clock, and the wait would fail.
        Assert.That(SpinWait.SpinUntil(() => topic.Partitions[0].LogEndOffset + topic.Partitions[1].LogEndOffset == 2, Guard), Is.True,
            "both lingering batches were sealed and appended");
        await producer.FlushAsync().AsTask().WaitAsync(Guard);
        Assert.That(topic.Partitions.Select(p => p.LogEndOffset), Is.EqualTo(new long[] { 1, 1, 1 }));
    }

    /// <summary>A key that the default partitioner sends to <paramref name="partition"/> of 3.</summary>
    private static string KeyFor(int partition) =>
        Enumerable.Range(0, 1000).Select(i => $"key-{i}")
            .First(k => Murmur2.Partition(System.Text.Encoding.UTF8.GetBytes(k), 3) == partition);
}
