namespace LogStore.Storage;

/// <summary>
/// The segments of one partition ordered by base offset (Kafka's LogSegments). Readers take a lock-free snapshot
/// and binary-search it; the partition's single writer replaces the snapshot on roll, truncation or deletion —
/// rare events, so copying the array then costs nothing that matters even at 100,000 segments.
/// </summary>
internal sealed class LogSegments
{
    private LogSegment[] _segments = [];

    /// <summary>A stable, ordered view; never modified after it is returned.</summary>
    public LogSegment[] Snapshot => Volatile.Read(ref _segments);

    public int Count => Snapshot.Length;

    public LogSegment? Active
    {
        get
        {
            LogSegment[] s = Snapshot;
            return s.Length == 0 ? null : s[^1];
        }
    }

    /// <summary>The segment whose base offset is the greatest ≤ <paramref name="offset"/>, or null.</summary>
    public LogSegment? Floor(long offset) => FloorIndex(Snapshot, offset) is int i and >= 0 ? Snapshot[i] : null;

    /// <summary>Index in <paramref name="segments"/> of the greatest base offset ≤ <paramref name="offset"/>, or -1.</summary>
    public static int FloorIndex(LogSegment[] segments, long offset)
    {
        int lo = 0, hi = segments.Length - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (segments[mid].BaseOffset <= offset)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return found;
    }

    public void Add(LogSegment segment)
    {
        LogSegment[] current = _segments;
        if (current.Length > 0 && current[^1].BaseOffset >= segment.BaseOffset)
            throw new InvalidOperationException($"Segment {segment.BaseOffset} does not come after {current[^1].BaseOffset}.");
        var next = new LogSegment[current.Length + 1];
        current.CopyTo(next, 0);
        next[^1] = segment;
        Volatile.Write(ref _segments, next);
    }

    /// <summary>Replaces the whole set at once (loading).</summary>
    public void Reset(IEnumerable<LogSegment> segments) =>
        Volatile.Write(ref _segments, segments.OrderBy(s => s.BaseOffset).ToArray());

    /// <summary>Removes <paramref name="removed"/> and adds <paramref name="added"/> in one new snapshot (retention
    /// deletes a prefix; the cleaner swaps cleaned segments for the ones they replace), so a reader sees either set,
    /// never a mix.</summary>
    public void Replace(IReadOnlyCollection<LogSegment> removed, IReadOnlyCollection<LogSegment> added)
    {
        var gone = new HashSet<LogSegment>(removed);
        var next = new List<LogSegment>(_segments.Length - removed.Count + added.Count);
        foreach (LogSegment segment in _segments)
        {
            if (!gone.Contains(segment))
                next.Add(segment);
        }
        next.AddRange(added);
        next.Sort(static (a, b) => a.BaseOffset.CompareTo(b.BaseOffset));
        Volatile.Write(ref _segments, next.ToArray());
    }

    public void Remove(LogSegment segment)
    {
        LogSegment[] current = _segments;
        int i = Array.IndexOf(current, segment);
        if (i < 0)
            return;
        var next = new LogSegment[current.Length - 1];
        Array.Copy(current, 0, next, 0, i);
        Array.Copy(current, i + 1, next, i, current.Length - i - 1);
        Volatile.Write(ref _segments, next);
    }
}
