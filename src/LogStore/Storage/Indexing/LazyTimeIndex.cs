using LogStore.Storage;
namespace LogStore.Storage.Indexing;

/// <summary>
/// A <see cref="LazyIndex{T}"/> of a <see cref="TimeIndex"/>, with the time index's operations run under the lazy
/// index's lock so that none of them can race an eviction.
/// </summary>
/// <remarks>
/// <para><b>File format:</b> that of <see cref="TimeIndex"/> (<c>.timeindex</c>, 12-byte entries).</para>
/// <para><b>Thread-safety:</b> thread-safe; each call opens the file if needed and holds the lock for its whole
/// duration. No call allocates once the index is open (no closures).</para>
/// <para><b>After a crash:</b> see <see cref="TimeIndex"/>; opening lazily changes nothing about recovery.</para>
/// </remarks>
internal sealed class LazyTimeIndex : LazyIndex<TimeIndex>
{
    /// <summary>Remembers where the index lives; opens nothing.</summary>
    public LazyTimeIndex(string path, long baseOffset, int maxIndexSize, bool writable, SegmentFileCache? cache = null)
        : base(path, baseOffset, maxIndexSize, writable, cache)
    {
    }

    /// <inheritdoc cref="TimeIndex.Lookup"/>
    public TimestampOffset Lookup(long targetTimestamp)
    {
        TimestampOffset result;
        bool register;
        lock (Gate)
            result = GetLocked(out register).Lookup(targetTimestamp);
        Accessed(register);
        return result;
    }

    /// <inheritdoc cref="TimeIndex.Entry"/>
    public TimestampOffset Entry(int n)
    {
        TimestampOffset result;
        bool register;
        lock (Gate)
            result = GetLocked(out register).Entry(n);
        Accessed(register);
        return result;
    }

    /// <summary>The last entry, opening the index if needed; see <see cref="TimeIndex.LastEntry"/>.</summary>
    public TimestampOffset LastEntry()
    {
        TimestampOffset result;
        bool register;
        lock (Gate)
            result = GetLocked(out register).LastEntry;
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

    /// <inheritdoc cref="TimeIndex.MaybeAppend"/>
    public void MaybeAppend(long timestamp, long offset, bool skipFullCheck = false)
    {
        bool register;
        lock (Gate)
            GetLocked(out register).MaybeAppend(timestamp, offset, skipFullCheck);
        Accessed(register);
    }

    /// <inheritdoc cref="TimeIndex.TruncateTo"/>
    /// <remarks>Needs a writable index: call <see cref="LazyIndex{T}.MakeWritable"/> first on an inactive one.</remarks>
    public void TruncateTo(long offset)
    {
        bool register;
        lock (Gate)
            GetLocked(out register).TruncateTo(offset);
        Accessed(register);
    }

    /// <inheritdoc cref="TimeIndex.SanityCheck"/>
    public void SanityCheck()
    {
        bool register;
        lock (Gate)
            GetLocked(out register).SanityCheck();
        Accessed(register);
    }

    /// <inheritdoc/>
    protected override TimeIndex Open(string path, long baseOffset, int maxIndexSize, bool writable) =>
        new(path, baseOffset, maxIndexSize, writable);
}
