using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.InteropServices;

namespace LogStore.Buffers;

/// <summary>
/// The producer's batch memory, bounded by <see cref="ProducerOptions.BufferMemory"/> (Kafka's BufferPool): it hands out
/// <see cref="RecordBatchBuilder"/>s whose buffers hold one batch each, and keeps the builders of the common size
/// (<see cref="ProducerOptions.BatchSize"/>) for reuse, so that a steady producer allocates nothing. A builder for a record
/// larger than a batch is made to measure and dropped after use. When the memory is all handed out, callers wait in FIFO
/// order, up to <see cref="ProducerOptions.MaxBlock"/>, then get <see cref="BufferExhaustedException"/>; nothing is ever
/// allocated beyond the bound.
/// </summary>
/// <remarks>
/// <para>Each builder is charged what its buffers really take: <see cref="RecordBatchBuilder"/> rents from the shared
/// array pool, which rounds up to a power of two, and a compressing builder holds the records block and the batch
/// (which the codec grows to its worst-case bound once); see <see cref="CostOf"/>. The only memory outside the bound is
/// the transient growth of the one batch the sender is compressing when it compresses worse than that bound.</para>
/// <para>Thread-safe. Waiting is asynchronous (<see cref="AllocateAsync"/>) or blocks the thread
/// (<see cref="Allocate"/>, as Kafka's send does); time is the <see cref="TimeProvider"/>'s, so tests can drive the
/// MaxBlock timeout. Disposing fails the waiters and drops the cached builders; builders returned later are dropped.</para>
/// </remarks>
internal sealed partial class BufferPool : IDisposable
{
    /// <summary>The largest size the shared array pool rounds up to a power of two.</summary>
    private const int LargestPooledArray = 1 << 30;

    private readonly Lock _lock = new();
    private readonly Stack<RecordBatchBuilder> _free = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private readonly TimeProvider _time;
    private readonly Action? _onWaiting;
    private long _available;
    private int _waiterCount;
    private bool _disposed;

    /// <summary>Creates a pool.</summary>
    /// <param name="totalMemory">The bound, in bytes (buffer.memory).</param>
    /// <param name="batchSize">The common batch capacity (batch.size).</param>
    /// <param name="compression">The codec of the builders.</param>
    /// <param name="maxBlock">How long an allocation waits (max.block.ms); <see cref="Timeout.InfiniteTimeSpan"/> for ever.</param>
    /// <param name="time">The clock of the MaxBlock timeout.</param>
    /// <param name="onWaiting">Called (outside the pool's lock) when a caller starts waiting, so the owner can hurry
    /// batches out: Kafka's accumulator sends every batch at once when the pool is exhausted.</param>
    public BufferPool(long totalMemory, int batchSize, CompressionType compression, TimeSpan maxBlock, TimeProvider time, Action? onWaiting = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        BatchSize = batchSize;
        Compression = compression;
        MaxBlock = maxBlock;
        _time = time;
        _onWaiting = onWaiting;
        PoolableCost = Footprint(Math.Max(batchSize, RecordBatch.HeaderSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(totalMemory, PoolableCost);
        TotalMemory = totalMemory;
        _available = totalMemory;
    }

    /// <summary>The bound, in bytes.</summary>
    public long TotalMemory { get; }

    /// <summary>The capacity of a common (reusable) builder.</summary>
    public int BatchSize { get; }

    /// <summary>The codec of the builders handed out.</summary>
    public CompressionType Compression { get; }

    /// <summary>How long an allocation waits for memory.</summary>
    public TimeSpan MaxBlock { get; }

    /// <summary>What one common builder is charged.</summary>
    public long PoolableCost { get; }

    /// <summary>Bytes not handed out (free, or held by cached builders).</summary>
    public long AvailableMemory
    {
        get
        {
            lock (_lock)
                return _available + (_free.Count * PoolableCost);
        }
    }

    /// <summary>Builders cached for reuse.</summary>
    public int CachedBuilders
    {
        get
        {
            lock (_lock)
                return _free.Count;
        }
    }

    /// <summary>Whether a caller is waiting for memory.</summary>
    public bool HasWaiters => Volatile.Read(ref _waiterCount) > 0;

    /// <summary>What a builder able to hold a batch of <paramref name="capacity"/> bytes is charged.</summary>
    public long CostOf(int capacity) => capacity <= BatchSize ? PoolableCost : Footprint(Math.Max(capacity, RecordBatch.HeaderSize));

    /// <summary>
    /// Whether a builder may be reused after building <paramref name="built"/>: its batch buffer did not grow past what
    /// the builder is charged (a batch that compressed worse than the codec's bound did).
    /// </summary>
    public bool KeepsPoolableFootprint(RecordBatch built)
    {
        long allowed = RoundUp(Math.Max(BatchSize, RecordBatch.HeaderSize)) * (Compression == CompressionType.None ? 1 : 2);
        return !MemoryMarshal.TryGetArray(built.Memory, out ArraySegment<byte> segment) || segment.Array!.Length <= allowed;
    }

    /// <summary>
    /// A builder for a batch of up to <paramref name="capacity"/> bytes when the memory is there and nobody is waiting
    /// for it (no barging past FIFO waiters); false otherwise.
    /// </summary>
    /// <exception cref="BufferExhaustedException">Such a builder costs more than the whole pool.</exception>
    /// <exception cref="ObjectDisposedException">The pool was disposed.</exception>
    public bool TryAllocate(int capacity, [NotNullWhen(true)] out RecordBatchBuilder? builder, out long cost)
    {
        cost = CostOf(capacity);
        ThrowIfLargerThanPool(cost);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            builder = null;
            if (_waiters.Count > 0)
                return false;
            if (cost == PoolableCost && _free.TryPop(out builder))
                return true;
            if (!TryReserve(cost))
                return false;
        }
        builder = Create(capacity);
        return true;
    }

    /// <summary>
    /// A builder for a batch of up to <paramref name="capacity"/> bytes, waiting asynchronously (in FIFO order) up to
    /// <see cref="MaxBlock"/> for memory to be returned.
    /// </summary>
    /// <exception cref="BufferExhaustedException">No memory came back within MaxBlock, or the builder costs more than the pool.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    /// <exception cref="ObjectDisposedException">The pool was disposed.</exception>
    public ValueTask<(RecordBatchBuilder Builder, long Cost)> AllocateAsync(int capacity, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled<(RecordBatchBuilder, long)>(cancellationToken);
        if (TryAllocate(capacity, out RecordBatchBuilder? builder, out long cost))
            return ValueTask.FromResult((builder, cost));
        return new ValueTask<(RecordBatchBuilder, long)>(WaitAsync(capacity, cost, cancellationToken));
    }

    /// <summary>As <see cref="AllocateAsync"/>, blocking the calling thread while it waits (Kafka's send blocks the same way).</summary>
    public (RecordBatchBuilder Builder, long Cost) Allocate(int capacity)
    {
        if (TryAllocate(capacity, out RecordBatchBuilder? builder, out long cost))
            return (builder, cost);
        return WaitBlocking(capacity, cost);
    }

    /// <summary>
    /// Returns a builder charged <paramref name="cost"/>. A common builder that kept its footprint is reset and cached;
    /// any other is disposed and its memory freed. Waiters that the memory now satisfies are served, oldest first.
    /// </summary>
    public void Deallocate(RecordBatchBuilder builder, long cost, bool reusable)
    {
        RecordBatchBuilder? drop = builder;
        Waiter? served = null;
        lock (_lock)
        {
            if (!_disposed)
            {
                if (reusable && cost == PoolableCost)
                {
                    builder.Reset();
                    _free.Push(builder);
                    drop = null;
                }
                else
                {
                    _available += cost;
                }
                served = TakeSatisfiedWaitersLocked();
            }
        }
        drop?.Dispose();
        CompleteServed(served);
    }

    /// <summary>Fails every waiter with <see cref="ObjectDisposedException"/> and drops the cached builders.</summary>
    public void Dispose()
    {
        Waiter[] waiters;
        RecordBatchBuilder[] free;
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
            waiters = [.. _waiters];
            _waiters.Clear();
            Volatile.Write(ref _waiterCount, 0);
            free = [.. _free];
            _free.Clear();
        }
        foreach (RecordBatchBuilder builder in free)
            builder.Dispose();
        foreach (Waiter waiter in waiters)
            waiter.Fail(new ObjectDisposedException(nameof(BufferPool), "The producer was disposed while waiting for buffer memory."));
    }

    private RecordBatchBuilder Create(int capacity) =>
        new(Compression, Math.Max(capacity, BatchSize));

    /// <summary>Takes <paramref name="cost"/> bytes from the free memory, dropping cached builders to make room.</summary>
    private bool TryReserve(long cost)
    {
        if (_available + (_free.Count * PoolableCost) < cost)
            return false;
        while (_available < cost)
        {
            // Cached builders are free memory in disguise (Kafka's freeUp): a larger request turns them back into bytes.
            _free.Pop().Dispose();
            _available += PoolableCost;
        }
        _available -= cost;
        return true;
    }

    private void ThrowIfLargerThanPool(long cost)
    {
        if (cost > TotalMemory)
            throw new BufferExhaustedException(cost, TotalMemory, MaxBlock);
    }

    private long Footprint(int capacity) =>
        Compression == CompressionType.None
            ? RoundUp(capacity)

            // The records block, plus the batch buffer that the codec's GetSpan(worst-case bound) doubles once.
            : RoundUp(capacity) * 3;

    private static long RoundUp(int capacity) =>
        capacity <= LargestPooledArray ? BitOperations.RoundUpToPowerOf2((uint)capacity) : capacity;
}
