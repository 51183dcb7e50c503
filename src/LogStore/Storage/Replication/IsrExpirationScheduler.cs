namespace LogStore.Storage.Replication;

/// <summary>
/// The periodic lag check of the partitions this node leads (Kafka's isr-expiration task, every half
/// replica.lag.time.max.ms by default): each run asks every leader replica with followers to drop the followers that have
/// not caught up within the lag time (<see cref="PartitionReplica.MaybeShrinkIsr"/>). Runs on the broker's
/// <see cref="TimeProvider"/>; a run never overlaps the previous one. Thread-safe; holds no file.
/// </summary>
internal sealed class IsrExpirationScheduler : IAsyncDisposable
{
    private readonly Func<IEnumerable<PartitionReplica>> _replicas;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private ITimer? _timer;
    private int _running;

    /// <param name="replicas">This node's replicas, looked up afresh at each run (topics come and go).</param>
    /// <param name="time">The broker's clock.</param>
    /// <param name="interval">Between two runs; Kafka's is half the lag time (<see cref="IntervalFor"/>).</param>
    public IsrExpirationScheduler(Func<IEnumerable<PartitionReplica>> replicas, TimeProvider time, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        _replicas = replicas;
        _time = time;
        _interval = interval;
    }

    /// <summary>Kafka's interval for a lag time: half of it, so a follower leaves the ISR at most 1.5 lag times late.</summary>
    public static TimeSpan IntervalFor(TimeSpan replicaLagTime) => replicaLagTime / 2;

    /// <summary>How many shrinks the runs have proposed.</summary>
    public long ShrinksProposed => Interlocked.Read(ref _shrinksProposed);

    private long _shrinksProposed;

    public void Start()
    {
        ITimer timer = _time.CreateTimer(static s => ((IsrExpirationScheduler)s!).RunOnce(), this, _interval, _interval);
        if (Interlocked.CompareExchange(ref _timer, timer, null) is not null)
        {
            timer.Dispose();
            throw new InvalidOperationException("The ISR expiration scheduler is already started.");
        }
    }

    /// <summary>One run: the lag check of every leader replica with followers. Public for tests and a manual check.</summary>
    public void RunOnce()
    {
        if (Interlocked.Exchange(ref _running, 1) == 1)
            return;
        try
        {
            DateTimeOffset now = _time.GetUtcNow();
            foreach (PartitionReplica replica in _replicas())
            {
                if (replica.Role != ReplicaRole.Leader || replica.IsSole)
                    continue;
                try
                {
                    if (replica.MaybeShrinkIsr(now))
                        Interlocked.Increment(ref _shrinksProposed);
                }
                catch (ObjectDisposedException)
                {
                    // A partition closed under the check (its topic deleted): nothing to shrink.
                }
            }
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    public ValueTask DisposeAsync() => Interlocked.Exchange(ref _timer, null)?.DisposeAsync() ?? default;
}
