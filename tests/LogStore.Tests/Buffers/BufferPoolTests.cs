using LogStore.Buffers;
using Microsoft.Extensions.Time.Testing;

namespace LogStore.Tests.Buffers;

[TestFixture]
public sealed class BufferPoolTests
{
    private const int BatchSize = 1024;
    private static readonly TimeSpan MaxBlock = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private FakeTimeProvider _time = null!;

    [SetUp]
    public void SetUp() => _time = new FakeTimeProvider();

    private BufferPool Pool(int batches, CompressionType compression = CompressionType.None, Action? onWaiting = null) =>
        new(BatchSize * batches * (compression == CompressionType.None ? 1 : 3), BatchSize, compression, MaxBlock, _time, onWaiting);

    [Test]
    public void TryAllocate_ReturnedBuilder_IsReusedAndReset()
    {
        using BufferPool pool = Pool(2);
        Assert.That(pool.TryAllocate(BatchSize, out RecordBatchBuilder? builder, out long cost), Is.True);
        builder!.Append(1, [1], [2]);
        pool.Deallocate(builder, cost, reusable: true);

        Assert.That(pool.TryAllocate(100, out RecordBatchBuilder? again, out _), Is.True);
        Assert.That(again, Is.SameAs(builder));
        Assert.That(again!.RecordCount, Is.Zero);
    }

    [Test]
    public void TryAllocate_Exhausted_ReturnsFalse_UntilMemoryComesBack()
    {
        using BufferPool pool = Pool(2);
        pool.TryAllocate(BatchSize, out RecordBatchBuilder? a, out long cost);
        pool.TryAllocate(BatchSize, out _, out _);

        Assert.That(pool.TryAllocate(BatchSize, out _, out _), Is.False);
        Assert.That(pool.AvailableMemory, Is.Zero);
        pool.Deallocate(a!, cost, reusable: false);
        Assert.That(pool.AvailableMemory, Is.EqualTo(BatchSize));
        Assert.That(pool.TryAllocate(BatchSize, out _, out _), Is.True);
    }

    [Test]
    public async Task AllocateAsync_Exhausted_WaitsMaxBlock_ThenThrowsBufferExhausted()
    {
        int woken = 0;
        using BufferPool pool = Pool(1, onWaiting: () => woken++);
        pool.TryAllocate(BatchSize, out _, out _);

        var waiting = pool.AllocateAsync(BatchSize).AsTask();
        Assert.That(waiting.IsCompleted, Is.False);
        Assert.That(pool.HasWaiters, Is.True);
        Assert.That(woken, Is.EqualTo(1), "the owner is told, so it can hurry batches out");
        _time.Advance(MaxBlock - TimeSpan.FromMilliseconds(1));
        Assert.That(waiting.IsCompleted, Is.False);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        var error = Assert.ThrowsAsync<BufferExhaustedException>(async () => await waiting.WaitAsync(Guard));
        Assert.That(error!.Message, Does.Contain("BufferMemory").And.Contain("MaxBlock"));
        Assert.That(error.MaxBlock, Is.EqualTo(MaxBlock));
        Assert.That(error, Is.InstanceOf<LogStoreException>());
        Assert.That(pool.HasWaiters, Is.False);
    }

    [Test]
    public async Task AllocateAsync_Exhausted_GetsTheBuilderReturnedMeanwhile()
    {
        using BufferPool pool = Pool(1);
        pool.TryAllocate(BatchSize, out RecordBatchBuilder? held, out long cost);
        var waiting = pool.AllocateAsync(BatchSize).AsTask();

        pool.Deallocate(held!, cost, reusable: true);
        (RecordBatchBuilder builder, long got) = await waiting.WaitAsync(Guard);
        Assert.That(builder, Is.SameAs(held));
        Assert.That(got, Is.EqualTo(cost));
    }

    [Test]
    public async Task AllocateAsync_Waiters_AreServedInOrder_AndFastPathDoesNotBarge()
    {
        using BufferPool pool = Pool(1);
        pool.TryAllocate(BatchSize, out RecordBatchBuilder? held, out long cost);
        var first = pool.AllocateAsync(BatchSize).AsTask();
        var second = pool.AllocateAsync(BatchSize).AsTask();

        pool.Deallocate(held!, cost, reusable: true);
        (RecordBatchBuilder builder, _) = await first.WaitAsync(Guard);
        Assert.That(second.IsCompleted, Is.False);
        Assert.That(pool.TryAllocate(BatchSize, out _, out _), Is.False, "a waiter is queued: no barging");
        pool.Deallocate(builder, cost, reusable: true);
        await second.WaitAsync(Guard);
    }

    [Test]
    public void AllocateAsync_Cancelled_LeavesTheQueue()
    {
        using BufferPool pool = Pool(1);
        pool.TryAllocate(BatchSize, out _, out _);
        using var cts = new CancellationTokenSource();
        var waiting = pool.AllocateAsync(BatchSize, cts.Token).AsTask();

        cts.Cancel();
        Assert.That(() => waiting.WaitAsync(Guard), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(pool.HasWaiters, Is.False);
    }

    [Test]
    public async Task Allocate_Blocking_WaitsForMemoryFromAnotherThread()
    {
        using BufferPool pool = Pool(1);
        pool.TryAllocate(BatchSize, out RecordBatchBuilder? held, out long cost);
        var blocked = Task.Run(() => pool.Allocate(BatchSize));
        Assert.That(SpinWait.SpinUntil(() => pool.HasWaiters, Guard), Is.True);

        pool.Deallocate(held!, cost, reusable: true);
        Assert.That((await blocked.WaitAsync(Guard)).Builder, Is.SameAs(held));
    }

    [Test]
    public void Allocate_Blocking_TimesOut()
    {
        using BufferPool pool = Pool(1);
        pool.TryAllocate(BatchSize, out _, out _);
        var blocked = Task.Run(() => pool.Allocate(BatchSize));
        Assert.That(SpinWait.SpinUntil(() => pool.HasWaiters, Guard), Is.True);

        _time.Advance(MaxBlock);
        Assert.That(() => blocked.WaitAsync(Guard), Throws.InstanceOf<BufferExhaustedException>());
    }

    [Test]
    public void TryAllocate_Oversized_FreesCachedBuildersToMakeRoom()
    {
        using BufferPool pool = Pool(4);
        var builders = Enumerable.Range(0, 4).Select(i => { pool.TryAllocate(BatchSize, out var b, out _); return b!; }).ToList();
        foreach (RecordBatchBuilder b in builders)
            pool.Deallocate(b, pool.PoolableCost, reusable: true);
        Assert.That(pool.CachedBuilders, Is.EqualTo(4));

        Assert.That(pool.TryAllocate(3 * BatchSize, out RecordBatchBuilder? big, out long cost), Is.True);
        Assert.That(cost, Is.EqualTo(4 * BatchSize), "rounded up to the array pool's power of two");
        Assert.That(pool.CachedBuilders, Is.Zero);
        Assert.That(pool.AvailableMemory, Is.Zero);
        pool.Deallocate(big!, cost, reusable: true);
        Assert.That(pool.AvailableMemory, Is.EqualTo(4 * BatchSize), "an oversized builder is never cached");
        Assert.That(pool.CachedBuilders, Is.Zero);
    }

    [Test]
    public void TryAllocate_LargerThanThePool_ThrowsAtOnce()
    {
        using BufferPool pool = Pool(2);
        var error = Assert.Throws<BufferExhaustedException>(() => pool.TryAllocate(10 * BatchSize, out _, out _));
        Assert.That(error!.Message, Does.Contain("more than ProducerOptions.BufferMemory"));
    }

    [Test]
    public void CostOf_Compressed_CountsRecordsAndGrownBatchBuffer()
    {
        using BufferPool pool = Pool(1, CompressionType.Zstd);
        Assert.That(pool.PoolableCost, Is.EqualTo(3 * BatchSize));
        Assert.That(pool.CostOf(1000), Is.EqualTo(3 * BatchSize));
        Assert.That(pool.CostOf(1025), Is.EqualTo(3 * 2048));
    }

    [Test]
    public void Dispose_FailsWaiters_AndDropsReturnedBuilders()
    {
        BufferPool pool = Pool(1);
        pool.TryAllocate(BatchSize, out RecordBatchBuilder? held, out long cost);
        var waiting = pool.AllocateAsync(BatchSize).AsTask();

        pool.Dispose();
        Assert.That(() => waiting.WaitAsync(Guard), Throws.InstanceOf<ObjectDisposedException>());
        pool.Deallocate(held!, cost, reusable: true);
        Assert.That(pool.CachedBuilders, Is.Zero);
        Assert.Throws<ObjectDisposedException>(() => pool.TryAllocate(BatchSize, out _, out _));
    }
}
