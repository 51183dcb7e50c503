namespace LogStore.Storage.Indexing;

/// <summary>
/// A <see cref="TimeIndex"/> opened on first use (see <see cref="LazyIndex{T}"/> for when it opens and closes).
/// Each operation holds the lazy index's gate for its duration, so it never races an eviction.
/// </summary>
internal sealed class LazyTimeIndex : LazyIndex<TimeIndex>
{
    /// <summary>Creates the lazy index; nothing is opened until first use.</summary>
    public LazyTimeIndex(string path, long baseOffset, int maxIndexSize, bool writable, SegmentFileCache? cache = null)
        : base(path, baseOffset, maxIndexSize, writable, cache)
    {
    }

    /// <summary>See <see cref="TimeIndex.Lookup"/>.</summary>
    public TimestampOffset Lookup(long targetTimestamp) => Use(targetTimestamp, static (index, target) => index.Lookup(target));

    /// <summary>See <see cref="TimeIndex.Entry"/>.</summary>
    public TimestampOffset Entry(int n) => Use(n, static (index, slot) => index.Entry(slot));

    /// <summary>The last entry; see <see cref="TimeIndex.LastEntry"/>.</summary>
    public TimestampOffset LastEntry() => Use(0, static (index, _) => index.LastEntry);

    /// <summary>See <see cref="TimeIndex.MaybeAppend"/>.</summary>
    public void MaybeAppend(long timestamp, long offset, bool skipFullCheck = false) =>
        Use((timestamp, offset, skipFullCheck), static (index, e) => { index.MaybeAppend(e.timestamp, e.offset, e.skipFullCheck); return true; });

    /// <summary>The entry a roll or close records (Kafka's <c>skipFullCheck</c>), in the slot <see cref="TimeIndex.IsFull"/>
    /// keeps for it; skipped when no slot is left or the disk refuses to grow the file.</summary>
    public void MaybeAppendFinal(long timestamp, long offset) =>
        Use((timestamp, offset), static (index, e) =>
        {
            if (index.Entries < index.MaxEntries)
                index.MaybeAppend(e.timestamp, e.offset, skipFullCheck: true);
            return true;
        });

    protected override TimeIndex Open(string path, long baseOffset, int maxIndexSize, bool writable) =>
        new(path, baseOffset, maxIndexSize, writable, Files, OpenDirty);
}
