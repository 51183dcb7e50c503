namespace LogStore.Compare;

/// <summary>One measured run of one system: <see cref="Run"/> is timed; Dispose (not timed) closes the store and
/// deletes its directory.</summary>
internal interface ITrial : IDisposable
{
    void Run();
}

/// <summary>A trial from two delegates.</summary>
internal sealed class Trial(Action run, Action cleanup) : ITrial
{
    private bool _disposed;

    public void Run() => run();

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        cleanup();
    }
}

/// <summary>A system taking part in a throughput workload: <paramref name="Prepare"/> builds an untimed trial of
/// the given number of records (the warm-up round asks for fewer).</summary>
/// <param name="System">The row's name.</param>
/// <param name="Method">What is measured, in one line.</param>
/// <param name="Prepare">Opens or creates the store (untimed) and returns the trial.</param>
internal sealed record Contestant(string System, string Method, Func<long, ITrial> Prepare);
