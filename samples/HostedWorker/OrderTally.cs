namespace HostedWorker;

/// <summary>What the worker billed, shared with Program through the container.</summary>
internal sealed class OrderTally
{
    private int _billed;
    private long _cents;

    public int Billed => Volatile.Read(ref _billed);

    public decimal Total => Interlocked.Read(ref _cents) / 100m;

    /// <summary>Counts one order; returns how many have been billed so far.</summary>
    public int Add(decimal amount)
    {
        Interlocked.Add(ref _cents, (long)(amount * 100));
        return Interlocked.Increment(ref _billed);
    }
}
