namespace LogStore.Clients;

/// <summary>
/// The CreateTime a producer stamps on records without a timestamp: the broker's <see cref="TimeProvider"/> in Unix
/// milliseconds. With the system clock, a reading is shared by a burst of records: reading the wall clock costs about
/// as much as batching a small record (a virtualised clock_gettime), so a fast producer would spend a sixth of its time
/// there. A reading is reused only while the coarse tick count (<see cref="Environment.TickCount64"/>, a cheap read of
/// the kernel's tick) has not moved and for at most <see cref="MaxReuse"/> records, so a record's timestamp is never
/// older than one kernel tick (1–4 ms) and, in a burst, a few microseconds. Any other provider (a test's fake clock)
/// is read for every record, exactly.
/// </summary>
/// <remarks>Thread-safe: the reading is published before the tick that validates it, so a thread that sees the tick
/// sees that reading or a newer one.</remarks>
internal sealed class ProducerClock(TimeProvider time)
{
    /// <summary>How many records one system clock reading may stamp.</summary>
    private const int MaxReuse = 64;

    private readonly TimeProvider _time = time;
    private readonly bool _isSystem = ReferenceEquals(time, TimeProvider.System);
    private long _milliseconds;
    private long _tick = long.MinValue;
    private int _reusesLeft;

    /// <summary>The current time in Unix milliseconds.</summary>
    public long UnixMilliseconds()
    {
        if (!_isSystem)
            return _time.GetUtcNow().ToUnixTimeMilliseconds();
        long tick = Environment.TickCount64;
        if (tick == Volatile.Read(ref _tick) && _reusesLeft > 0)
        {
            // A lost decrement between threads only lets a reading stamp a few more records of the same tick.
            _reusesLeft--;
            return Volatile.Read(ref _milliseconds);
        }
        return Read(tick);
    }

    private long Read(long tick)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        Volatile.Write(ref _milliseconds, now);
        _reusesLeft = MaxReuse - 1;
        Volatile.Write(ref _tick, tick);
        return now;
    }
}
