using LogStore.Diagnostics;
using LogStore.Storage;

namespace LogStore.Retention;

/// <summary>
/// The broker's background retention and compaction (Kafka's log-retention scheduler task plus its cleaner thread): every
/// <see cref="BrokerOptions.RetentionCheckInterval"/> of the broker's <see cref="BrokerOptions.TimeProvider"/>, it deletes
/// the segments retention no longer keeps (<see cref="PartitionLog.DeleteOldSegments"/>) in every partition, then cleans
/// the compacted partitions that are due (<see cref="LogCleaner"/>).
/// </summary>
/// <remarks>
/// <para>Started when the broker opens, as a broker service, so it is stopped (a clean in progress is cancelled and its
/// cleaned files discarded) before the partitions close. A failure in one partition is logged and retried at the next
/// check; it never stops the others or the loop.</para>
/// <para>Thread-safety: thread-safe; <see cref="RunOnce"/> may be called directly (tests) while the loop runs.</para>
/// </remarks>
internal sealed class RetentionManager : IAsyncDisposable
{
    private readonly Broker _broker;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _runLock = new();
    private readonly Lock _signalLock = new();
    private readonly Task _loop;
    private TaskCompletionSource _runCompleted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RetentionManager(Broker broker)
    {
        _broker = broker;
        Cleaner = new LogCleaner(broker);
        LogStoreMetrics.Register(broker);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>The broker's log cleaner.</summary>
    public LogCleaner Cleaner { get; }

    /// <summary>Completes when the next background check after this call ends (tests advance a fake clock, then await it).</summary>
    public Task NextRunCompleted
    {
        get
        {
            lock (_signalLock)
                return _runCompleted.Task;
        }
    }

    /// <summary>One retention check and cleaning pass over every partition; returns the segments deleted.</summary>
    public int RunOnce(CancellationToken cancellationToken = default)
    {
        lock (_runLock)
        {
            int deleted = 0;
            foreach (Topic topic in _broker.Topics)
            {
                foreach (Partition partition in topic.Partitions)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (partition.Log.IsClosed)
                        continue;
                    try
                    {
                        deleted += partition.Log.DeleteOldSegments();
                    }
                    catch (Exception e) when (e is LogStoreException or ObjectDisposedException or IOException)
                    {
                        RetentionLog.RetentionFailed(_broker.Logger, partition.Id, e);
                    }
                }
            }
            Cleaner.CleanDirtyLogs(cancellationToken);
            return deleted;
        }
    }

    private async Task RunAsync()
    {
        // PeriodicTimer takes at most 2^32-2 ms; checking more often than a longer interval asks is harmless.
        TimeSpan period = TimeSpan.FromMilliseconds(Math.Min(_broker.Options.RetentionCheckInterval.TotalMilliseconds, int.MaxValue));
        using var timer = new PeriodicTimer(period, _broker.Options.TimeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                try
                {
                    RunOnce(_stopping.Token);
                }
                finally
                {
                    TaskCompletionSource completed;
                    lock (_signalLock)
                    {
                        completed = _runCompleted;
                        _runCompleted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    }
                    completed.TrySetResult();
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
            return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        LogStoreMetrics.Unregister(_broker);
        _stopping.Dispose();
    }
}
