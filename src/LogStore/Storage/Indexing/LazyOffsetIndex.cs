namespace LogStore.Storage.Indexing;

/// <summary>
/// An <see cref="OffsetIndex"/> opened on first use (see <see cref="LazyIndex{T}"/> for when it opens and closes).
/// Each operation holds the lazy index's gate for its duration, so it never races an eviction.
/// </summary>
internal sealed class LazyOffsetIndex : LazyIndex<OffsetIndex>
{
    /// <summary>Creates the lazy index; nothing is opened until first use.</summary>
    public LazyOffsetIndex(string path, long baseOffset, int maxIndexSize, bool writable, SegmentFileCache? cache = null)
        : base(path, baseOffset, maxIndexSize, writable, cache)
    {
    }

    /// <summary>See <see cref="OffsetIndex.Lookup(long)"/>.</summary>
    public OffsetPosition Lookup(long targetOffset) => Use(targetOffset, static (index, target) => index.Lookup(target));

    /// <summary>See <see cref="OffsetIndex.Lookup(long, out OffsetPosition, out OffsetPosition)"/>.</summary>
    public (OffsetPosition Start, OffsetPosition Next, OffsetPosition AfterNext) LookupWithNext(long targetOffset) =>
        Use(targetOffset, static (index, target) => (index.Lookup(target, out OffsetPosition next, out OffsetPosition afterNext), next, afterNext));

    /// <summary>See <see cref="OffsetIndex.Entry"/>.</summary>
    public OffsetPosition Entry(int n) => Use(n, static (index, slot) => index.Entry(slot));

    /// <summary>See <see cref="OffsetIndex.Append"/>.</summary>
    public void Append(long offset, int position) =>
        Use((offset, position), static (index, entry) => { index.Append(entry.offset, entry.position); return true; });

    protected override OffsetIndex Open(string path, long baseOffset, int maxIndexSize, bool writable) =>
        new(path, baseOffset, maxIndexSize, writable, Files, OpenDirty);
}
