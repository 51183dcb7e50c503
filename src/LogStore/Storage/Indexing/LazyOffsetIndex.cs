using LogStore.Storage;
namespace LogStore.Storage.Indexing;

/// <summary>
/// A <see cref="LazyIndex{T}"/> of an <see cref="OffsetIndex"/>, with the offset index's operations run under the
/// lazy index's lock so that none of them can race an eviction.
/// </summary>
/// <remarks>
/// <para><b>File format:</b> that of <see cref="OffsetIndex"/> (<c>.index</c>, 8-byte entries).</para>
/// <para><b>Thread-safety:</b> thread-safe; each call opens the file if needed and holds the lock for its whole
/// duration. No call allocates once the index is open (no closures), so lookups stay on the fetch hot path.</para>
/// <para><b>After a crash:</b> see <see cref="OffsetIndex"/>; opening lazily changes nothing about recovery.</para>
/// </remarks>
internal sealed class LazyOffsetIndex : LazyIndex<OffsetIndex>
{
    /// <summary>Remembers where the index lives; opens nothing.</summary>
    public LazyOffsetIndex(string path, long baseOffset, int maxIndexSize, bool writable, SegmentFileCache? cache = null)
        : base(path, baseOffset, maxIndexSize, writable, cache)
    {
    }

    /// <inheritdoc cref="OffsetIndex.Lookup"/>
    public OffsetPosition Lookup(long targetOffset)
    {
        OffsetPosition result;
        bool register;
        lock (Gate)
            result = GetLocked(out register).Lookup(targetOffset);
        Accessed(register);
        return result;
    }

    /// <inheritdoc cref="OffsetIndex.Entry"/>
    public OffsetPosition Entry(int n)
    {
        OffsetPosition result;
        bool register;
        lock (Gate)
            result = GetLocked(out register).Entry(n);
        Accessed(register);
        return result;
    }

    /// <summary>The number of entries, opening the index if needed.</summary>
    public int Entries()
    {
        int result;
        bool register;
        lock (Gate)
            result = GetLocked(out register).Entries;
        Accessed(register);
        return result;
    }

    /// <inheritdoc cref="OffsetIndex.Append"/>
    public void Append(long offset, int position)
    {
        bool register;
        lock (Gate)
            GetLocked(out register).Append(offset, position);
        Accessed(register);
    }

    /// <inheritdoc cref="OffsetIndex.TruncateTo"/>
    /// <remarks>Needs a writable index: call <see cref="LazyIndex{T}.MakeWritable"/> first on an inactive one.</remarks>
    public void TruncateTo(long offset)
    {
        bool register;
        lock (Gate)
            GetLocked(out register).TruncateTo(offset);
        Accessed(register);
    }

    /// <inheritdoc cref="OffsetIndex.SanityCheck"/>
    public void SanityCheck()
    {
        bool register;
        lock (Gate)
            GetLocked(out register).SanityCheck();
        Accessed(register);
    }

    /// <inheritdoc/>
    protected override OffsetIndex Open(string path, long baseOffset, int maxIndexSize, bool writable) =>
        new(path, baseOffset, maxIndexSize, writable);
}
