namespace LogStore.Clients;

internal sealed partial class Fetcher
{
    // TimeProvider timers and Partition.ReadAsync accept waits up to about 49 days; longer waits are done in slices.
    private static readonly TimeSpan s_maxWaitSlice = TimeSpan.FromDays(1);

    /// <summary>
    /// Waits, without spinning, until a partition may have a record, <paramref name="wakeup"/> completes (the group
    /// changed something, an auto-commit is due), <paramref name="maxWait"/> passes or the token is cancelled. Each
    /// partition with a known position gets a long-poll read (Partition.ReadAsync with a wait). When the first
    /// completes the others are cancelled; every read that returned data (or an error) becomes its partition's read
    /// ahead, so <see cref="TryNextSlow"/> picks it up. Returns without throwing on timeout; the caller checks its
    /// own token.
    /// </summary>
    public async ValueTask WaitForDataAsync(TimeSpan maxWait, Task? wakeup, CancellationToken cancellationToken)
    {
        if (maxWait == Timeout.InfiniteTimeSpan || maxWait > s_maxWaitSlice)
            maxWait = s_maxWaitSlice;
        PartitionState[] partitions = _partitions;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var waits = new List<Task>(partitions.Length + 2);
        var polls = new List<(PartitionState State, Task<FetchResult> Read)>(partitions.Length);
        foreach (PartitionState p in partitions)
        {
            if (p.Position == UnknownPosition || p.Paused)
                continue;
            if (p.Prefetch is not null)
            {
                // TryNextSlow takes every read ahead before anyone waits; one here means data is ready.
                stop.Cancel();
                await CollectAsync(polls).ConfigureAwait(false);
                return;
            }
            Task<FetchResult> read = StartLongPoll(p, maxWait, stop.Token);
            if (read.IsCompleted)
            {
                // Data (or an error) is already there: no need to wait for anything. (An empty result that came back
                // at once is not waited on again: waiting on the others and the clock avoids spinning on it.)
                Adopt(p, read);
                if (p.Prefetch is null)
                    continue;
                stop.Cancel();
                await CollectAsync(polls).ConfigureAwait(false);
                return;
            }
            polls.Add((p, read));
            waits.Add(read);
        }
        if (wakeup is not null)
            waits.Add(wakeup);
        waits.Add(Task.Delay(maxWait, _time, stop.Token));
        try
        {
            await Task.WhenAny(waits).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await CollectAsync(polls).ConfigureAwait(false);
        }
    }

    private Task<FetchResult> StartLongPoll(PartitionState p, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        try
        {
            return p.Partition.ReadAsync(p.FetchOffset, FetchBytes(p), maxWait, cancellationToken).AsTask();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Out of range, corrupt or closed: surfaced by TryNextSlow, which knows what to do with it.
            return Task.FromException<FetchResult>(e);
        }
    }

    /// <summary>Waits for the cancelled long polls to end and keeps those that brought data or an error.</summary>
    private async ValueTask CollectAsync(List<(PartitionState State, Task<FetchResult> Read)> polls)
    {
        foreach ((PartitionState p, Task<FetchResult> read) in polls)
        {
            try
            {
                await read.ConfigureAwait(false);
            }
            catch
            {
                // Inspected by Adopt.
            }
            Adopt(p, read);
        }
    }

    /// <summary>Makes a finished long poll the partition's read ahead when it brought data or an error.</summary>
    private void Adopt(PartitionState p, Task<FetchResult> read)
    {
        if (read.IsCanceled)
            return;
        Exception? error = read.IsFaulted ? read.Exception!.InnerException ?? read.Exception : null;
        FetchResult? result = read.IsCompletedSuccessfully ? read.Result : null;
        if (p.Removed || p.Prefetch is not null || (result is not null && result.IsEmpty))
        {
            result?.Dispose();
            return;
        }
        p.Prefetch = ReadAhead.Completed(result, error, FetchBytes(p));
        _bufferedBytes += p.Prefetch.ReservedBytes;
    }
}
