namespace LogStore.Clients.Groups;

/// <summary>
/// What one consumer shares with the threads around it: pending work raised by its group or its auto-commit timer,
/// a task to wait on for that work, and its liveness (how many times it polled, whether it is polling now).
/// The consumer's hot path reads <see cref="Pending"/> once per ConsumeAsync; everything else is for the slow path.
/// Thread-safe.
/// </summary>
internal sealed class PollSignal
{
    /// <summary>The group changed something for this consumer: a new assignment, released partitions, eviction.</summary>
    public const int GroupChanged = 1;

    /// <summary>The auto-commit interval elapsed.</summary>
    public const int AutoCommitDue = 2;

    /// <summary>The consumer is being disposed: never cleared, so the hot path always falls to the slow path.</summary>
    public const int Closed = 4;

    private readonly Lock _lock = new();
    private int _pending;
    private TaskCompletionSource? _waiter;

    /// <summary>The raised bits not yet taken (0 almost always).</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Counts ConsumeAsync calls; the group's liveness check compares it between checks. Written by the
    /// consumer only, so a plain increment suffices; a stale read merely delays eviction by one check.</summary>
    public int PollCount;

    /// <summary>True while the consumer waits inside ConsumeAsync: a consumer waiting for records is alive.</summary>
    public volatile bool InPoll;

    /// <summary>Raises <paramref name="bits"/> and wakes a waiting consumer.</summary>
    public void Raise(int bits)
    {
        Interlocked.Or(ref _pending, bits);
        TaskCompletionSource? waiter;
        lock (_lock)
        {
            waiter = _waiter;
            _waiter = null;
        }
        waiter?.TrySetResult();
    }

    /// <summary>Clears and returns the raised bits among <paramref name="bits"/>.</summary>
    public int Take(int bits) => Interlocked.And(ref _pending, ~bits) & bits;

    /// <summary>A task that completes at the next <see cref="Raise"/>, or already completed when bits are pending.</summary>
    public Task WaitAsync()
    {
        lock (_lock)
        {
            if (Pending != 0)
                return Task.CompletedTask;
            _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _waiter.Task;
        }
    }
}
