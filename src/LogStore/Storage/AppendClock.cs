namespace LogStore.Storage;

/// <summary>
/// The wall clock of one append call, read at most once and only when something needs it (a LogAppendTime batch, a
/// segment's first append, a roll check on batches without timestamps). Reading the clock costs about as much as
/// staging a small batch on a virtualised machine (benchmarks/RESULTS.md, "Comparison"), and most appends need none.
/// </summary>
internal struct AppendClock(TimeProvider time)
{
    private long _nowMs = long.MinValue;

    /// <summary>Now, in Unix milliseconds; the same value for the rest of the call once read.</summary>
    public long NowMs
    {
        get
        {
            if (_nowMs == long.MinValue)
                _nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
            return _nowMs;
        }
    }
}
