using System.Diagnostics;
using LogStore.Storage.Files;

namespace LogStore.Storage;

/// <summary>
/// A bounded set of open segment files (<c>.log</c> handles and <c>.index</c> / <c>.timeindex</c> mappings, of active
/// and inactive segments alike), one per broker: when more than <see cref="Capacity"/> are open, the least recently
/// used is closed (unmapped, file handle released) and reopens on its next use.
/// </summary>
/// <remarks>
/// <para>Only recently appended or read segments keep a file open, so 100,000 segments or 10,000 partitions stay far
/// below the OS's limits on mappings (<c>vm.max_map_count</c>, 65,530 by default on Linux) and open file handles
/// (<c>ulimit -n</c>): a segment costs at most one descriptor for its log and one descriptor plus one mapping per index,
/// and the cache counts each of the three as one file. An active segment's files are closed like the others when idle;
/// its next append reopens them (a writable index is then left untrimmed until its segment rolls or closes).</para>
/// <para><b>Format and crash behaviour:</b> none; the cache holds no files of its own, and closing an evicted
/// read-only index writes nothing.</para>
/// <para><b>Thread-safety:</b> fully thread-safe. Lookups never touch the cache's lock: an index records its
/// last use as a timestamp without synchronization, and only opening an index (already a few system calls)
/// takes the lock, registers it and, at capacity, scans for the least recently used one. Victims are closed
/// after the lock is released, under their own lock, so a lookup in progress on a victim finishes first and the
/// cache never holds its lock while waiting for an index's (no lock-order cycle with an index that registers
/// while another thread evicts).</para>
/// </remarks>
internal sealed class SegmentFileCache
{
    /// <summary>The default number of segment files kept open.</summary>
    public const int DefaultCapacity = 1024;

    private readonly Lock _lock = new();
    private readonly List<IEvictableFile> _open = [];

    /// <summary>Creates a cache that keeps at most <paramref name="capacity"/> segment files open, for files on
    /// <paramref name="files"/> (default: the disk).</summary>
    public SegmentFileCache(int capacity = DefaultCapacity, FileSystem? files = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        Files = files ?? FileSystem.Disk;
    }

    /// <summary>
    /// The file system of the broker's files: every segment and index opened with this cache writes, fsyncs,
    /// preallocates and renames through it. It lives here because the cache is the one per-broker object every segment
    /// and index already holds.
    /// </summary>
    public FileSystem Files { get; }

    /// <summary>The most segment files kept open at once (briefly exceeded by appends and lookups in flight).</summary>
    public int Capacity { get; }

    /// <summary>How many indexes are registered as open.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
                return _open.Count;
        }
    }

    /// <summary>Closes every registered index, e.g. when the broker shuts down or a test wants a cold start.</summary>
    public void EvictAll()
    {
        IEvictableFile[] victims;
        lock (_lock)
        {
            victims = [.. _open];
            foreach (IEvictableFile index in victims)
                index.CacheSlot = -1;
            _open.Clear();
        }
        foreach (IEvictableFile index in victims)
            index.Evict();
    }

    /// <summary>
    /// Records that <paramref name="index"/> just opened, closing the least recently used other indexes while
    /// more than <see cref="Capacity"/> are open. The caller must not hold any index's lock.
    /// </summary>
    internal void Register(IEvictableFile index)
    {
        lock (_lock)
        {
            if (index.CacheSlot >= 0)
                return;
            index.CacheSlot = _open.Count;
            _open.Add(index);
        }
        while (true)
        {
            IEvictableFile victim;
            lock (_lock)
            {
                if (_open.Count <= Capacity)
                    return;
                victim = LeastRecentlyUsed(except: index);
                RemoveAt(victim.CacheSlot);
            }
            victim.Evict();
        }
    }

    /// <summary>Forgets <paramref name="index"/>, which its owner closed or made writable.</summary>
    internal void Unregister(IEvictableFile index)
    {
        lock (_lock)
        {
            if (index.CacheSlot >= 0)
                RemoveAt(index.CacheSlot);
        }
    }

    /// <summary>A clock for <see cref="IEvictableFile.LastAccess"/>: cheap, monotonic, high resolution.</summary>
    internal static long Now() => Stopwatch.GetTimestamp();

    // An O(capacity) scan, paid only when an index opens at capacity. Keeping the list ordered instead would
    // put the cache's lock on every lookup of every partition.
    private IEvictableFile LeastRecentlyUsed(IEvictableFile except)
    {
        IEvictableFile? oldest = null;
        long oldestAccess = long.MaxValue;
        foreach (IEvictableFile candidate in _open)
        {
            long access = candidate.LastAccess;
            if (!ReferenceEquals(candidate, except) && access < oldestAccess)
            {
                oldest = candidate;
                oldestAccess = access;
            }
        }
        // Capacity is at least 1, so with more than Capacity entries there is always another one.
        return oldest!;
    }

    // Swap-remove: the order of the list carries no meaning, recency lives in LastAccess.
    private void RemoveAt(int slot)
    {
        int last = _open.Count - 1;
        IEvictableFile removed = _open[slot];
        if (slot != last)
        {
            IEvictableFile moved = _open[last];
            _open[slot] = moved;
            moved.CacheSlot = slot;
        }
        _open.RemoveAt(last);
        removed.CacheSlot = -1;
    }
}

/// <summary>An index that <see cref="SegmentFileCache"/> can close to bound the number of open mappings.</summary>
internal interface IEvictableFile
{
    /// <summary>When the index was last used, in <see cref="SegmentFileCache.Now"/> ticks; read without synchronization.</summary>
    long LastAccess { get; }

    /// <summary>The index's position in the cache's list, or -1; only the cache reads or writes it, under its lock.</summary>
    int CacheSlot { get; set; }

    /// <summary>Closes the index if it is open and read-only; it reopens on its next use.</summary>
    void Evict();
}
