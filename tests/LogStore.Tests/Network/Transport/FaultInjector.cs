using LogStore.Network.Transport;

namespace LogStore.Tests.Network.Transport;

/// <summary>
/// Breaks an <see cref="InMemoryNetwork"/> at random for a simulation, one <see cref="Step"/> between the simulation's
/// own steps: a seeded <see cref="Random"/> picks from a weighted <see cref="FaultMenu"/> a fault to apply (isolate,
/// partition, sever, delay, pause a host) or one in force to heal, and each step is recorded as a line of
/// <see cref="History"/> ("step 12: pause n1").
/// <para>Every choice depends only on the seed, the hosts, the menu and the earlier choices, never on the network's
/// state, so the same seed replays the same history. Only which connection a sever resets depends on the connections
/// open at that moment (the draw among them is still the seeded one, taken whether or not any is open). Put
/// <see cref="Describe"/> (the seed and the history) in failure messages.</para>
/// Thread-safe: steps are serialized.
/// </summary>
internal sealed class FaultInjector
{
    private readonly InMemoryNetwork _network;
    private readonly string[] _hosts;
    private readonly FaultMenu _menu;
    private readonly Random _random;
    private readonly Lock _lock = new();
    private readonly List<ActiveFault> _active = [];
    private readonly List<string> _history = [];
    private int _steps;

    /// <param name="network">The network to break.</param>
    /// <param name="hosts">The hosts faults may target (defined on <paramref name="network"/>), in a fixed order.</param>
    /// <param name="seed">The seed of every choice.</param>
    /// <param name="menu">The weights; default <see cref="FaultMenu"/>'s.</param>
    /// <exception cref="ArgumentException">No hosts, or a host twice.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A weight or bound of <paramref name="menu"/> is out of range.</exception>
    public FaultInjector(InMemoryNetwork network, IReadOnlyList<string> hosts, int seed, FaultMenu? menu = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(hosts);
        if (hosts.Count == 0 || hosts.Distinct(StringComparer.Ordinal).Count() != hosts.Count)
            throw new ArgumentException($"The fault injector needs distinct hosts, not [{string.Join(", ", hosts)}].", nameof(hosts));
        _menu = menu ?? new FaultMenu();
        _menu.Validate();
        _network = network;
        _hosts = [.. hosts];
        _random = new Random(seed);
        Seed = seed;
    }

    private enum FaultKind
    {
        Quiet,
        Isolate,
        Partition,
        Sever,
        Delay,
        Pause,
        Heal,
    }

    /// <summary>The seed of every choice.</summary>
    public int Seed { get; }

    /// <summary>Steps taken (<see cref="Step"/> and <see cref="HealAll"/>).</summary>
    public int Steps
    {
        get
        {
            lock (_lock)
                return _steps;
        }
    }

    /// <summary>One line per step, in order: what was applied or healed.</summary>
    public IReadOnlyList<string> History
    {
        get
        {
            lock (_lock)
                return [.. _history];
        }
    }

    /// <summary>The faults in force ("isolate n1", "delay * 3-20 ms"), oldest first.</summary>
    public IReadOnlyList<string> ActiveFaults
    {
        get
        {
            lock (_lock)
                return [.. _active.Select(f => f.Text)];
        }
    }

    /// <summary>The hosts paused now: a simulation stops their nodes' own work too, by its own means.</summary>
    public IReadOnlyList<string> PausedHosts
    {
        get
        {
            lock (_lock)
                return [.. _active.Where(f => f.Kind == FaultKind.Pause).Select(f => f.Host!)];
        }
    }

    /// <summary>Applies or heals one fault (or does nothing, as the menu weighs it); returns the line recorded.</summary>
    public string Step()
    {
        lock (_lock)
            return Record(Apply(Choose()));
    }

    /// <summary>Heals every fault in force; returns the line recorded.</summary>
    public string HealAll()
    {
        lock (_lock)
        {
            _network.HealAll();
            _active.Clear();
            return Record("heal all");
        }
    }

    public override string ToString() => $"fault injector with seed {Seed} after {Steps} steps";

    /// <summary>The seed and the whole history, for a failure message.</summary>
    public string Describe()
    {
        lock (_lock)
            return $"fault injector with seed {Seed} after {_steps} steps:{Environment.NewLine}{string.Join(Environment.NewLine, _history)}";
    }

    private string Record(string what)
    {
        _steps++;
        string line = $"step {_steps}: {what}";
        _history.Add(line);
        return line;
    }

    private FaultKind Choose()
    {
        int draw = _random.Next(_menu.Total);
        FaultKind kind = FaultKind.Heal;
        foreach (var (candidate, weight) in (ReadOnlySpan<(FaultKind, int)>)[(FaultKind.Quiet, _menu.Quiet), (FaultKind.Isolate, _menu.Isolate),
            (FaultKind.Partition, _menu.Partition), (FaultKind.Sever, _menu.Sever), (FaultKind.Delay, _menu.Delay), (FaultKind.Pause, _menu.Pause)])
        {
            if (draw < weight)
            {
                kind = candidate;
                break;
            }
            draw -= weight;
        }
        bool adds = kind is FaultKind.Isolate or FaultKind.Partition or FaultKind.Delay or FaultKind.Pause;
        return adds && _active.Count >= _menu.MaxActiveFaults ? FaultKind.Heal : kind;
    }

    private string Apply(FaultKind kind) => kind switch
    {
        FaultKind.Isolate => IsolateOne(),
        FaultKind.Partition => PartitionInTwo(),
        FaultKind.Sever => _network.Sever(_random) is { } link ? $"sever {link}" : "sever: no open connection",
        FaultKind.Delay => DelaySome(),
        FaultKind.Pause => PauseOne(),
        FaultKind.Heal => HealOne(),
        _ => "quiet",
    };

    private string IsolateOne()
    {
        if (PickHost(FaultKind.Isolate) is not { } host)
            return "isolate: every host is isolated";
        _network.Isolate(host);
        return Activate(new ActiveFault(FaultKind.Isolate, host, $"isolate {host}"));
    }

    private string PartitionInTwo()
    {
        if (_hosts.Length < 2)
            return "partition: one host only";
        string[] shuffled = [.. _hosts];
        _random.Shuffle(shuffled);
        int cut = _random.Next(1, shuffled.Length);
        string[] side = shuffled[..cut];
        string[] otherSide = shuffled[cut..];
        Array.Sort(side, StringComparer.Ordinal);
        Array.Sort(otherSide, StringComparer.Ordinal);
        _network.Partition(side, otherSide);
        return Activate(new ActiveFault(FaultKind.Partition, null, $"partition {{{string.Join(", ", side)}}} | {{{string.Join(", ", otherSide)}}}"));
    }

    private string DelaySome()
    {
        int target = _random.Next(_hosts.Length + 1);
        string? host = target < _hosts.Length ? _hosts[target] : null;
        int most = (int)_menu.MaxDelay.TotalMilliseconds;
        int low = _random.Next(0, most + 1);
        int high = _random.Next(Math.Max(low, 1), most + 1);
        if (host is null)
            _network.Delay(TimeSpan.FromMilliseconds(low), TimeSpan.FromMilliseconds(high));
        else
            _network.Delay(host, TimeSpan.FromMilliseconds(low), TimeSpan.FromMilliseconds(high));
        // A new delay of the same target replaces the old one.
        _active.RemoveAll(f => f.Kind == FaultKind.Delay && f.Host == host);
        return Activate(new ActiveFault(FaultKind.Delay, host, $"delay {host ?? "*"} {low}-{high} ms"));
    }

    private string PauseOne()
    {
        if (PickHost(FaultKind.Pause) is not { } host)
            return "pause: every host is paused";
        _network.Pause(host);
        return Activate(new ActiveFault(FaultKind.Pause, host, $"pause {host}"));
    }

    private string HealOne()
    {
        if (_active.Count == 0)
            return "heal: nothing to heal";
        ActiveFault fault = _active[_random.Next(_active.Count)];
        switch (fault.Kind)
        {
            case FaultKind.Isolate:
                _network.Heal(fault.Host!);
                break;
            case FaultKind.Partition:
                // The network heals partitions all at once.
                _network.HealPartitions();
                _active.RemoveAll(f => f.Kind == FaultKind.Partition);
                return "heal every partition";
            case FaultKind.Delay when fault.Host is null:
                _network.Delay(TimeSpan.Zero, TimeSpan.Zero);
                break;
            case FaultKind.Delay:
                _network.Delay(fault.Host, TimeSpan.Zero, TimeSpan.Zero);
                break;
            case FaultKind.Pause:
                _network.Resume(fault.Host!);
                break;
        }
        _active.Remove(fault);
        return $"heal {fault.Text}";
    }

    /// <summary>A host without a fault of <paramref name="kind"/>, or null when every host has one.</summary>
    private string? PickHost(FaultKind kind)
    {
        List<string> free = [.. _hosts.Where(h => !_active.Exists(f => f.Kind == kind && f.Host == h))];
        return free.Count == 0 ? null : free[_random.Next(free.Count)];
    }

    private string Activate(ActiveFault fault)
    {
        _active.Add(fault);
        return fault.Text;
    }

    private readonly record struct ActiveFault(FaultKind Kind, string? Host, string Text);
}
