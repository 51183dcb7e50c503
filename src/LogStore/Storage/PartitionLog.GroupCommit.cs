using System.Runtime.ExceptionServices;

namespace LogStore.Storage;

/// <summary>
/// Group commit: durable appends wait for an fsync that covers their offsets, and concurrent waiters share one.
/// </summary>
/// <remarks>
/// <para>At most one fsync runs at a time (<see cref="Flush(long)"/>); it flushes everything appended when it
/// starts. A waiter whose offset is already below the recovery point returns at once; one whose offset the fsync in
/// progress covers waits for it; any other joins the next fsync, which starts as soon as the current one ends and
/// covers every waiter that joined meanwhile. So 64 appenders waiting together cost about two fsyncs, not 64.</para>
/// <para>The first waiter when no fsync runs does it on its own thread (no hand-off, the latency of one fsync); the
/// fsyncs that follow run on the thread pool, so that a caller whose records are durable is never held back for
/// others'. A failed fsync fails every waiter of that round with the <see cref="StorageException"/>; the recovery
/// point does not move, so the next waiter tries again.</para>
/// <para>Every wait honours its cancellation token; a cancelled waiter stops waiting, the shared fsync goes on. That
/// holds for the first waiter too when its token can be cancelled: it then runs the fsync on the thread pool and waits
/// for it with its token (one hand-off more), because an fsync on a failing or hung disk may never return
/// (microsoft/FASTER#586) and a thread blocked in the system call cannot be cancelled.</para>
/// </remarks>
internal sealed partial class PartitionLog
{
    private readonly Lock _groupCommitLock = new();
    private TaskCompletionSource? _fsyncInProgress;
    private long _fsyncInProgressUpTo;
    private TaskCompletionSource? _nextFsync;
    private long _fsyncRounds;

    /// <summary>Group-commit fsyncs run so far: how well waiters shared them.</summary>
    internal long FsyncRounds => Interlocked.Read(ref _fsyncRounds);

    /// <summary>
    /// Completes once every record below <paramref name="upToOffset"/> (capped at the log end) is on disk, sharing the
    /// fsync with concurrent callers.
    /// </summary>
    /// <exception cref="StorageException">The fsync failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    public ValueTask FlushAsync(long upToOffset, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled(cancellationToken);
        if (_readOnly)
            return ValueTask.FromException(new StoreReadOnlyException($"Partition {Id} was opened read-only: it cannot be flushed.", Directory));
        upToOffset = Math.Min(upToOffset, LogEndOffset);
        if (RecoveryPoint >= upToOffset)
            return ValueTask.CompletedTask;

        TaskCompletionSource lead;
        long target;
        lock (_groupCommitLock)
        {
            if (RecoveryPoint >= upToOffset)
                return ValueTask.CompletedTask;
            if (_fsyncInProgress is not null)
            {
                Task wait = _fsyncInProgressUpTo >= upToOffset
                    ? _fsyncInProgress.Task
                    : (_nextFsync ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
                return new ValueTask(cancellationToken.CanBeCanceled ? wait.WaitAsync(cancellationToken) : wait);
            }
            lead = _fsyncInProgress = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            target = _fsyncInProgressUpTo = LogEndOffset;
        }
        if (cancellationToken.CanBeCanceled)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static state => state.Log.RunNextRound(state.Round, state.Target), (Log: this, Round: lead, Target: target), preferLocal: false);
            return new ValueTask(lead.Task.WaitAsync(cancellationToken));
        }
        try
        {
            RunFsyncRound(lead, target);
        }
        catch (Exception e)
        {
            return ValueTask.FromException(e);
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Runs one fsync, completes its waiters, and hands the next round (if anyone joined) to the thread pool.</summary>
    private void RunFsyncRound(TaskCompletionSource round, long target)
    {
        Exception? error = null;
        Interlocked.Increment(ref _fsyncRounds);
        try
        {
            Flush(target);
        }
        catch (Exception e) when (e is StorageException or ObjectDisposedException)
        {
            error = e;
        }
        TaskCompletionSource? next;
        long nextTarget = 0;
        lock (_groupCommitLock)
        {
            next = _nextFsync;
            _nextFsync = null;
            _fsyncInProgress = next;
            if (next is not null)
                nextTarget = _fsyncInProgressUpTo = LogEndOffset;
        }
        if (error is null)
            round.TrySetResult();
        else
            round.TrySetException(error);
        if (next is not null)
            ThreadPool.UnsafeQueueUserWorkItem(static state => state.Log.RunNextRound(state.Round, state.Target), (Log: this, Round: next, Target: nextTarget), preferLocal: false);
        if (error is not null)
            ExceptionDispatchInfo.Throw(error);
    }

    private void RunNextRound(TaskCompletionSource round, long target)
    {
        try
        {
            RunFsyncRound(round, target);
        }
        catch (Exception e) when (e is StorageException or ObjectDisposedException)
        {
            // Its waiters have the exception.
        }
    }
}
