using System.Threading.Tasks.Sources;

namespace LogStore.Clients;

/// <summary>
/// The awaitable behind one <see cref="IProducer{TKey, TValue}.ProduceAsync(string, Message{TKey, TValue}, CancellationToken)"/>:
/// a reusable <see cref="IValueTaskSource{TResult}"/>, returned to a small shared pool once its result is read, so that
/// awaiting a delivery allocates only the <see cref="DeliveryResult"/> itself. Continuations always run on the thread
/// pool, never inline on the sender, which must not run user code that could block it.
/// </summary>
/// <remarks>As with every pooled ValueTask, the task must be awaited (or its result read) exactly once.</remarks>
internal sealed class ProducerDeliverySource : IValueTaskSource<DeliveryResult>
{
    private const int PoolCapacity = 1024;

    private static readonly Lock s_poolLock = new();
    private static readonly ProducerDeliverySource?[] s_pool = new ProducerDeliverySource?[PoolCapacity];
    private static int s_pooled;

    private ManualResetValueTaskSourceCore<DeliveryResult> _core = new() { RunContinuationsAsynchronously = true };

    /// <summary>The task the caller awaits.</summary>
    public ValueTask<DeliveryResult> Task => new(this, _core.Version);

    /// <summary>A source from the pool, or a new one.</summary>
    public static ProducerDeliverySource Rent()
    {
        lock (s_poolLock)
        {
            if (s_pooled > 0)
            {
                ProducerDeliverySource source = s_pool[--s_pooled]!;
                s_pool[s_pooled] = null;
                return source;
            }
        }
        return new ProducerDeliverySource();
    }

    /// <summary>Returns a source whose task was never handed out (the record failed before it was batched).</summary>
    public void ReturnUnused()
    {
        _core.Reset();
        Return(this);
    }

    public void SetResult(DeliveryResult result) => _core.SetResult(result);

    public void SetException(Exception error) => _core.SetException(error);

    /// <inheritdoc/>
    public DeliveryResult GetResult(short token)
    {
        bool current = token == _core.Version;
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            if (current)
            {
                _core.Reset();
                Return(this);
            }
        }
    }

    /// <inheritdoc/>
    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    /// <inheritdoc/>
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private static void Return(ProducerDeliverySource source)
    {
        lock (s_poolLock)
        {
            if (s_pooled < PoolCapacity)
                s_pool[s_pooled++] = source;
        }
    }
}
