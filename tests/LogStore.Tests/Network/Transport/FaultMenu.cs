namespace LogStore.Tests.Network.Transport;

/// <summary>
/// What a <see cref="FaultInjector"/> may do at each step, as relative weights (0: never), and its bounds. The
/// defaults keep the network usable more often than not: quiet steps and heals weigh as much as all faults together.
/// Immutable.
/// </summary>
internal sealed record FaultMenu
{
    /// <summary>A step that changes nothing. Default 4.</summary>
    public int Quiet { get; init; } = 4;

    /// <summary>Isolate a host that is not isolated. Default 1.</summary>
    public int Isolate { get; init; } = 1;

    /// <summary>Split the hosts in two random non-empty sides. Default 1.</summary>
    public int Partition { get; init; } = 1;

    /// <summary>Reset one random open connection (instant: nothing to heal). Default 2.</summary>
    public int Sever { get; init; } = 2;

    /// <summary>Delay one host's connections, or every connection, by a random range up to <see cref="MaxDelay"/>.
    /// Default 2.</summary>
    public int Delay { get; init; } = 2;

    /// <summary>Pause a host that is not paused. Default 1.</summary>
    public int Pause { get; init; } = 1;

    /// <summary>Heal one random active fault. Default 4.</summary>
    public int Heal { get; init; } = 4;

    /// <summary>The longest delay a chunk may get. Default 50 ms.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Faults in force at once (isolations, partitions, delays, pauses); at the bound a step that would add
    /// one heals one instead. Default 2.</summary>
    public int MaxActiveFaults { get; init; } = 2;

    internal int Total => Quiet + Isolate + Partition + Sever + Delay + Pause + Heal;

    /// <summary>Checks the weights and bounds.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A weight or bound is negative, or every weight is 0.</exception>
    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(Quiet, nameof(Quiet));
        ArgumentOutOfRangeException.ThrowIfNegative(Isolate, nameof(Isolate));
        ArgumentOutOfRangeException.ThrowIfNegative(Partition, nameof(Partition));
        ArgumentOutOfRangeException.ThrowIfNegative(Sever, nameof(Sever));
        ArgumentOutOfRangeException.ThrowIfNegative(Delay, nameof(Delay));
        ArgumentOutOfRangeException.ThrowIfNegative(Pause, nameof(Pause));
        ArgumentOutOfRangeException.ThrowIfNegative(Heal, nameof(Heal));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxActiveFaults, nameof(MaxActiveFaults));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, TimeSpan.FromMilliseconds(1), nameof(MaxDelay));
        ArgumentOutOfRangeException.ThrowIfZero(Total, "weights");
    }
}
