using Microsoft.Extensions.Time.Testing;

namespace LogStore.Tests.Cluster.Simulation;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that knows when its next timer is due, so a simulation whose nodes have gone quiet
/// can move straight to it (a request's timeout, a long poll's end, a backoff) instead of creeping there in small steps.
/// Thread-safe.
/// </summary>
internal sealed class SimulationClock(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly Lock _lock = new();
    private readonly HashSet<TrackedTimer> _timers = [];

    /// <summary>When the earliest live timer fires next, or null when none is set.</summary>
    public DateTimeOffset? NextDue
    {
        get
        {
            lock (_lock)
            {
                DateTimeOffset? next = null;
                foreach (TrackedTimer timer in _timers)
                {
                    if (timer.Due is { } due && (next is null || due < next))
                        next = due;
                }
                return next;
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new TrackedTimer(this);
        lock (_lock)
        {
            timer.Schedule(dueTime, period);
            _timers.Add(timer);
        }
        timer.Inner = base.CreateTimer(s =>
        {
            timer.Fired();
            callback(s);
        }, state, dueTime, period);
        return timer;
    }

    private sealed class TrackedTimer(SimulationClock clock) : ITimer
    {
        private TimeSpan _period;

        public ITimer Inner { get; set; } = null!;

        public DateTimeOffset? Due { get; private set; }

        /// <summary>Called under the clock's lock.</summary>
        public void Schedule(TimeSpan dueTime, TimeSpan period)
        {
            _period = period;
            Due = dueTime == Timeout.InfiniteTimeSpan ? null : clock.GetUtcNow() + dueTime;
        }

        public void Fired()
        {
            lock (clock._lock)
                Due = _period > TimeSpan.Zero && _period != Timeout.InfiniteTimeSpan ? Due + _period : null;
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._lock)
                Schedule(dueTime, period);
            return Inner.Change(dueTime, period);
        }

        public void Dispose()
        {
            lock (clock._lock)
                clock._timers.Remove(this);
            Inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
