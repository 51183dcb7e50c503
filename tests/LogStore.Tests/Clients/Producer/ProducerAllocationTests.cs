namespace LogStore.Tests.Clients.Producer;

/// <summary>
/// Producing allocates nothing per record once warm. Counted over every thread (the sender appends on another one), so
/// the storage's append path is included. The warm-up fills the buffer pool to its bound, as a long run does: the pool
/// creates its builders lazily, and a window in which the producer runs further ahead of the disk than ever before would
/// otherwise count the pool's growth (bounded by BufferMemory, so amortised to nothing) against those records.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ProducerAllocationTests : ProducerFixture
{
    private const int BatchSize = 16 * 1024;
    private const int BufferMemory = 32 * BatchSize;

    [Test]
    public async Task Produce_NullKeyNullCallback_AllocatesAtMostEightBytesPerRecord()
    {
        const int Records = 100_000;
        await using Broker broker = await Open(TimeProvider.System);
        await broker.CreateTopicAsync("t", new TopicConfig { Partitions = 2 });
        await using IProducer<Null, byte[]> producer = broker.CreateProducer<Null, byte[]>(
            new ProducerOptions { BatchSize = BatchSize, BufferMemory = BufferMemory });
        var message = new Message<Null, byte[]> { Value = new byte[100] };

        await WarmUp(producer, message, BufferMemory / 100);
        long allocated = await FewestAllocated(async () =>
        {
            for (int i = 0; i < Records; i++)
                producer.Produce("t", message);
            await producer.FlushAsync();
        });

        TestContext.Out.WriteLine($"{allocated} bytes for {Records} records: {(double)allocated / Records:F3} bytes per record");
        Assert.That((double)allocated / Records, Is.LessThanOrEqualTo(8));
    }

    [Test]
    public async Task Produce_KeyedOneKiBValues_AllocatesAtMostEightBytesPerRecord()
    {
        const int Records = 25_000;
        await using Broker broker = await Open(TimeProvider.System);
        await broker.CreateTopicAsync("t", new TopicConfig { Partitions = 4 });
        // A 16 KiB batch holds only 15 such records, so a round's own costs (a Debug build's async state machine, the
        // runtime's pinning array for a gathered write) would come near 8 bytes a record; 64 KiB batches keep the
        // bound about records.
        await using IProducer<long, byte[]> producer = broker.CreateProducer<long, byte[]>(
            new ProducerOptions { BatchSize = 4 * BatchSize, BufferMemory = 4 * BufferMemory });
        var message = new Message<long, byte[]> { Key = -1, Value = new byte[1024] };

        await WarmUp(producer, message, 4 * BufferMemory / 1024);
        long allocated = await FewestAllocated(async () =>
        {
            for (int i = 0; i < Records; i++)
            {
                message.Key = i;
                producer.Produce("t", message);
            }
            await producer.FlushAsync();
        });

        TestContext.Out.WriteLine($"{allocated} bytes for {Records} keyed 1 KiB records: {(double)allocated / Records:F3} bytes per record");
        Assert.That((double)allocated / Records, Is.LessThanOrEqualTo(8));
    }

    /// <summary>
    /// The bytes allocated by the fewest-allocating of three runs of <paramref name="produce"/>. The count is
    /// process-wide (the sender allocates on its own thread), so a timer or finalizer left by an earlier test can land
    /// in one window; a per-record allocation lands in all three.
    /// </summary>
    private static async Task<long> FewestAllocated(Func<Task> produce)
    {
        long fewest = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            await produce();
            fewest = Math.Min(fewest, GC.GetTotalAllocatedBytes(precise: true) - before);
        }
        return fewest;
    }

    /// <summary>
    /// Stalls the sender (a callback blocks it), produces until the pool is exhausted so that every builder it may hold
    /// exists, then lets everything drain; then produces twice more the pool's worth to warm the rest.
    /// </summary>
    private static async Task WarmUp<TKey>(IProducer<TKey, byte[]> producer, Message<TKey, byte[]> message, int recordsPerPool)
    {
        var entered = new SemaphoreSlim(0);
        var gate = new SemaphoreSlim(0);
        producer.Produce("t", message, _ => { entered.Release(); gate.Wait(); });
        Task sealing = producer.FlushAsync().AsTask();
        Assert.That(await entered.WaitAsync(Guard), Is.True);

        Task filling = Task.Run(() =>
        {
            for (int i = 0; i < recordsPerPool * 2; i++)
                producer.Produce("t", message);
        });
        Assert.That(SpinWait.SpinUntil(() => PoolOf(producer).HasWaiters, Guard), Is.True, "the pool ran dry");
        gate.Release();
        await Task.WhenAll(filling, sealing).WaitAsync(Guard);
        for (int round = 0; round < 2; round++)
        {
            for (int i = 0; i < recordsPerPool * 2; i++)
                producer.Produce("t", message);
            await producer.FlushAsync();
        }
    }
}
