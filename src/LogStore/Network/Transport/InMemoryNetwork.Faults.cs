using System.Net;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Network.Transport;

/// <summary>
/// The faults of <see cref="InMemoryNetwork"/>, each applied to open connections at once and to new ones until healed.
/// A connection within one host is loopback: isolation, partitions, severs and delays never touch it; a pause does,
/// since it stops the host itself.
/// <list type="bullet">
/// <item><see cref="Isolate(string)"/>: the host's connections are cut and new ones to or from it refused;</item>
/// <item><see cref="Partition"/>: the same for connections between two sets of hosts only;</item>
/// <item><see cref="Sever"/>: one open connection is reset. TCP never loses bytes silently inside a connection, so a
/// dropped packet, as a stream sees it, is this: a reset (both sides' reads and writes fail with
/// <see cref="ConnectionResetException"/>);</item>
/// <item><see cref="Delay(string, TimeSpan, TimeSpan)"/>: each chunk waits a seeded random time on
/// <see cref="TimeProvider"/>, in order;</item>
/// <item><see cref="Pause"/>: as SIGSTOP does to a process, the host's connections stop relaying in both directions
/// (bytes queue, nothing is lost) and new connections to it are accepted but not served, until
/// <see cref="Resume"/>.</item>
/// </list>
/// An isolation or partition cut ends both sides' input as a close does (the peers see the end, then reconnect).
/// </summary>
internal sealed partial class InMemoryNetwork
{
    private readonly HashSet<string> _isolated = new(StringComparer.Ordinal);
    private readonly HashSet<(string, string)> _partitioned = [];
    private readonly HashSet<string> _paused = new(StringComparer.Ordinal);
    private readonly Dictionary<string, InMemoryDelay> _delays = new(StringComparer.Ordinal);
    private InMemoryDelay? _delayEverywhere;

    /// <summary>Cuts every open connection to or from the host of <paramref name="endpoint"/> (its whole node) and
    /// refuses new ones until <see cref="Heal(EndPoint)"/>.</summary>
    public void Isolate(EndPoint endpoint) => Isolate(HostOf(endpoint), validate: false);

    /// <summary>Cuts every open connection to or from <paramref name="host"/> and refuses new ones until
    /// <see cref="Heal(string)"/>.</summary>
    /// <exception cref="ArgumentException">No such host.</exception>
    public void Isolate(string host) => Isolate(host, validate: true);

    /// <summary>Accepts connections to and from the host of <paramref name="endpoint"/> again.</summary>
    public void Heal(EndPoint endpoint) => Heal(HostOf(endpoint), validate: false);

    /// <summary>Accepts connections to and from <paramref name="host"/> again.</summary>
    /// <exception cref="ArgumentException">No such host.</exception>
    public void Heal(string host) => Heal(host, validate: true);

    /// <summary>Cuts every open connection between a host of <paramref name="side"/> and one of
    /// <paramref name="otherSide"/> and refuses new ones, until <see cref="HealPartitions"/>; connections within a side
    /// or with other hosts stay. Partitions add up.</summary>
    /// <exception cref="ArgumentException">A side is empty, a host is on both sides, or no such host.</exception>
    public void Partition(IReadOnlyCollection<string> side, IReadOnlyCollection<string> otherSide)
    {
        ArgumentNullException.ThrowIfNull(side);
        ArgumentNullException.ThrowIfNull(otherSide);
        if (side.Count == 0 || otherSide.Count == 0)
            throw new ArgumentException("A partition needs a host on each side.", side.Count == 0 ? nameof(side) : nameof(otherSide));
        List<InMemoryRelayedConnection> cut;
        lock (_lock)
        {
            foreach (string host in side)
            {
                RequireHostLocked(host);
                if (otherSide.Contains(host))
                    throw new ArgumentException($"Host '{host}' is on both sides of the partition.", nameof(otherSide));
            }
            foreach (string host in otherSide)
                RequireHostLocked(host);
            foreach (string a in side)
            {
                foreach (string b in otherSide)
                {
                    _partitioned.Add((a, b));
                    _partitioned.Add((b, a));
                }
            }
            cut = ApplyAllLocked();
        }
        CutQuietly(cut);
    }

    /// <summary>Removes every partition (isolations stay).</summary>
    public void HealPartitions()
    {
        lock (_lock)
            _partitioned.Clear();
    }

    /// <summary>Resets one open connection picked with <paramref name="random"/> among those (loopback excepted) that
    /// <paramref name="selection"/> accepts (all when null), in id order; returns it, or null when there was none. It
    /// draws from <paramref name="random"/> exactly once either way, so a seeded caller's later draws do not depend on
    /// how many connections were open.</summary>
    public InMemoryLink? Sever(Random random, Func<InMemoryLink, bool>? selection = null)
    {
        ArgumentNullException.ThrowIfNull(random);
        double draw = random.NextDouble();
        List<InMemoryRelayedConnection> open;
        lock (_lock)
            open = [.. _links.Values.Where(static l => !l.IsCut && !l.Link.IsLoopback)];
        if (selection is not null)
            open.RemoveAll(l => !selection(l.Link));
        if (open.Count == 0)
            return null;
        InMemoryRelayedConnection victim = open[(int)(draw * open.Count)];
        victim.Cut(new ConnectionResetException($"The in-memory network dropped {victim.Link}: the connection was reset."));
        return victim.Link;
    }

    /// <summary>Delays every connection's chunks by <paramref name="min"/> to <paramref name="max"/> (both zero: no
    /// longer); a host's own delay, when wider, wins.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="min"/> is negative or above <paramref name="max"/>.</exception>
    public void Delay(TimeSpan min, TimeSpan max)
    {
        InMemoryDelay? delay = DelayOf(min, max);
        lock (_lock)
        {
            _delayEverywhere = delay;
            ApplyAllLocked();
        }
    }

    /// <summary>Delays the chunks of every connection to or from <paramref name="host"/> by <paramref name="min"/> to
    /// <paramref name="max"/>, drawn per chunk by the link's seeded generator (both zero: no longer).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="min"/> is negative or above <paramref name="max"/>.</exception>
    /// <exception cref="ArgumentException">No such host.</exception>
    public void Delay(string host, TimeSpan min, TimeSpan max)
    {
        InMemoryDelay? delay = DelayOf(min, max);
        lock (_lock)
        {
            RequireHostLocked(host);
            if (delay is null)
                _delays.Remove(host);
            else
                _delays[host] = delay;
            ApplyAllLocked();
        }
    }

    /// <summary>Removes every delay.</summary>
    public void ClearDelays()
    {
        lock (_lock)
        {
            _delays.Clear();
            _delayEverywhere = null;
            ApplyAllLocked();
        }
    }

    /// <summary>Stops relaying on every connection to or from <paramref name="host"/>, both ways, until
    /// <see cref="Resume"/>; connections made to it meanwhile are accepted but not served.</summary>
    /// <exception cref="ArgumentException">No such host.</exception>
    public void Pause(string host)
    {
        lock (_lock)
        {
            RequireHostLocked(host);
            _paused.Add(host);
            ApplyAllLocked();
        }
    }

    /// <summary>Relays <paramref name="host"/>'s queued bytes and new ones again (a connection whose other host is
    /// paused stays held).</summary>
    /// <exception cref="ArgumentException">No such host.</exception>
    public void Resume(string host)
    {
        lock (_lock)
        {
            RequireHostLocked(host);
            _paused.Remove(host);
            ApplyAllLocked();
        }
    }

    /// <summary>Heals every isolation and partition, removes every delay and resumes every paused host.</summary>
    public void HealAll()
    {
        lock (_lock)
        {
            _isolated.Clear();
            _partitioned.Clear();
            _paused.Clear();
            _delays.Clear();
            _delayEverywhere = null;
            ApplyAllLocked();
        }
    }

    private void Isolate(string host, bool validate)
    {
        List<InMemoryRelayedConnection> cut;
        lock (_lock)
        {
            if (validate)
                RequireHostLocked(host);
            _isolated.Add(host);
            cut = ApplyAllLocked();
        }
        CutQuietly(cut);
    }

    private void Heal(string host, bool validate)
    {
        lock (_lock)
        {
            if (validate)
                RequireHostLocked(host);
            _isolated.Remove(host);
        }
    }

    private static InMemoryDelay? DelayOf(TimeSpan min, TimeSpan max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(min, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, min);
        return max == TimeSpan.Zero ? null : new InMemoryDelay(min, max);
    }

    private bool IsCutLocked(string? fromHost, string toHost) =>
        fromHost != toHost
        && (_isolated.Contains(toHost) || (fromHost is not null && (_isolated.Contains(fromHost) || _partitioned.Contains((fromHost, toHost)))));

    /// <summary>Sets <paramref name="link"/>'s delay and pause from the faults in force.</summary>
    private void ApplyLocked(InMemoryRelayedConnection link)
    {
        InMemoryLink ends = link.Link;
        link.SetPaused(_paused.Contains(ends.ToHost) || (ends.FromHost is not null && _paused.Contains(ends.FromHost)));
        InMemoryDelay? delay = null;
        if (!ends.IsLoopback)
        {
            delay = InMemoryDelay.Widest(_delayEverywhere, _delays.GetValueOrDefault(ends.ToHost));
            if (ends.FromHost is not null)
                delay = InMemoryDelay.Widest(delay, _delays.GetValueOrDefault(ends.FromHost));
        }
        link.SetDelay(delay);
    }

    /// <summary>Applies the faults in force to every open link; returns those to cut (outside the lock).</summary>
    private List<InMemoryRelayedConnection> ApplyAllLocked()
    {
        List<InMemoryRelayedConnection> cut = [];
        foreach (InMemoryRelayedConnection link in _links.Values)
        {
            ApplyLocked(link);
            if (IsCutLocked(link.Link.FromHost, link.Link.ToHost))
                cut.Add(link);
        }
        return cut;
    }

    private static void CutQuietly(List<InMemoryRelayedConnection> links)
    {
        foreach (InMemoryRelayedConnection link in links)
            link.Cut(null);
    }

    /// <summary>A host is a defined one, or the own host of an endpoint something listens at.</summary>
    private void RequireHostLocked(string host)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        if (_hostOf.ContainsValue(host))
            return;
        foreach (EndPoint endpoint in _listeners.Keys)
        {
            if (!_hostOf.ContainsKey(endpoint) && endpoint.ToString() == host)
                return;
        }
        throw new ArgumentException($"No host '{host}' on this in-memory network: define it with DefineHost, or name an endpoint's own host with HostOf.", nameof(host));
    }
}
