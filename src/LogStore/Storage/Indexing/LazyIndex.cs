using LogStore.Storage.Files;

namespace LogStore.Storage.Indexing;

/// <summary>
/// An index that opens its file on first use (Kafka's <c>LazyIndex</c>), so a partition with thousands of inactive
/// segments opens without touching a single index file. A read-only one registers with the broker's
/// <see cref="SegmentFileCache"/> when it opens, may be closed again when evicted, and reopens transparently.
/// </summary>
/// <remarks>
/// <para><b>File format:</b> that of <typeparamref name="T"/>; this type adds none.</para>
/// <para><b>Thread-safety:</b> thread-safe. The open index lives behind a per-instance lock that every
/// operation holds for its whole call, so an eviction can never close an index in the middle of a lookup. Use
/// the operations of <see cref="LazyOffsetIndex"/> and <see cref="LazyTimeIndex"/> for reads; <see cref="Get"/>
/// returns the open index itself, which is safe to keep only while the index is writable (an active segment's
/// index is never evicted), because a read-only one may be closed by the cache at any moment.</para>
/// <para><b>After a crash:</b> nothing of its own; the file is whatever <typeparamref name="T"/> left.</para>
/// </remarks>
internal abstract class LazyIndex<T> : IEvictableFile, IDisposable
    where T : IndexFile
{
    private readonly SegmentFileCache? _cache;
    private T? _index;
    private string _path;
    private volatile bool _writable;
    private long _lastAccess;
    private int _cacheSlot = -1;

    /// <summary>Remembers where the index lives; opens nothing.</summary>
    /// <param name="path">The index file.</param>
    /// <param name="baseOffset">The base offset of the segment.</param>
    /// <param name="maxIndexSize">The preallocation size when writable (<c>segment.index.bytes</c>).</param>
    /// <param name="writable">True for the active segment's index: opened read-write, preallocated, never evicted.</param>
    /// <param name="cache">The broker's cache of open inactive indexes, or null to keep them open until closed.</param>
    /// <param name="preallocateBestEffort">When a writable open cannot reserve the file's blocks because the disk is
    /// full, keep the file's length (the index is then full) rather than fail; false for a new segment's index, whose roll
    /// must fail instead.</param>
    protected LazyIndex(string path, long baseOffset, int maxIndexSize, bool writable, SegmentFileCache? cache, bool preallocateBestEffort = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _path = path;
        BaseOffset = baseOffset;
        MaxIndexSize = maxIndexSize;
        _writable = writable;
        _cache = cache;
        PreallocateBestEffort = preallocateBestEffort;
    }

    /// <summary>The file system the index lives on.</summary>
    protected FileSystem Files => _cache?.Files ?? FileSystem.Disk;

    /// <summary>Whether a writable open tolerates a full disk; see the constructor.</summary>
    protected bool PreallocateBestEffort { get; }

    /// <summary>The index file's current path.</summary>
    public string Path => Volatile.Read(ref _path);

    /// <summary>The base offset of the segment this index belongs to.</summary>
    public long BaseOffset { get; }

    /// <summary>The size a writable index preallocates to.</summary>
    public int MaxIndexSize { get; }

    /// <summary>True while the file is open (mapped).</summary>
    public bool IsOpen => Volatile.Read(ref _index) is not null;

    /// <summary>True for an active segment's index, which opens read-write and is never evicted.</summary>
    public bool IsWritable => _writable;

    /// <summary>The lock held around every use of the open index.</summary>
    protected Lock Gate { get; } = new();

    long IEvictableFile.LastAccess => Volatile.Read(ref _lastAccess);

    int IEvictableFile.CacheSlot
    {
        get => _cacheSlot;
        set => _cacheSlot = value;
    }

    /// <summary>
    /// The open index, opening it if needed. Hold it only while <see cref="IsWritable"/> (a read-only index
    /// may be evicted and closed at any time); read through the wrapper's methods instead.
    /// </summary>
    /// <exception cref="StorageException">The file could not be opened.</exception>
    public T Get()
    {
        T index;
        bool register;
        lock (Gate)
            index = GetLocked(out register);
        Accessed(register);
        return index;
    }

    /// <summary>
    /// Turns an inactive index back into an active one (the log was truncated into this segment): the read-only
    /// mapping is closed and the next use opens the file read-write, preallocated to <see cref="MaxIndexSize"/>.
    /// </summary>
    public void MakeWritable()
    {
        lock (Gate)
        {
            if (_writable)
                return;
            CloseLocked();
            _writable = true;
        }
    }

    /// <summary>
    /// Turns the active index into an inactive one (the segment rolled): the file is trimmed to its entries and
    /// stays mapped read-only, now evictable.
    /// </summary>
    /// <remarks>
    /// An index never used while active is opened here anyway, so that the inactive segment always has a trimmed
    /// file on disk for later read-only opens to find (Kafka's roll likewise touches both indexes).
    /// </remarks>
    public void MakeReadOnly()
    {
        lock (Gate)
        {
            if (!_writable)
                return;
            T index = _index ?? Open(_path, BaseOffset, MaxIndexSize, writable: true);
            index.TrimToValidSize();
            Volatile.Write(ref _index, index);
            _writable = false;
        }
        Accessed(register: true);
    }

    /// <summary>Closes the index (trimming a writable one); the next use reopens it.</summary>
    public void Close()
    {
        lock (Gate)
            CloseLocked();
    }

    /// <inheritdoc cref="Close"/>
    public void Dispose() => Close();

    /// <summary>Closes the index and renames its file if it exists; the next use opens the new path.</summary>
    public void RenameTo(string newPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(newPath);
        lock (Gate)
        {
            CloseLocked();
            IndexFile.MoveFile(Files, _path, newPath);
            Volatile.Write(ref _path, newPath);
        }
    }

    /// <summary>Closes the index without trimming it and deletes its file.</summary>
    /// <returns>True when a file was deleted.</returns>
    public bool DeleteIfExists()
    {
        lock (Gate)
        {
            T? index = _index;
            if (index is null)
                return DeleteFile(_path);
            Volatile.Write(ref _index, null);
            _cache?.Unregister(this);
            return index.DeleteIfExists();
        }
    }

    void IEvictableFile.Evict()
    {
        lock (Gate)
        {
            // The index may have become writable since the cache picked it; an active index stays open.
            if (_writable || _index is null)
                return;
            _index.Close();
            Volatile.Write(ref _index, null);
        }
    }

    /// <summary>The number of entries, opening the index if needed.</summary>
    public int Entries() => Use(0, static (index, _) => index.Entries);

    /// <summary>Removes entries at or above <paramref name="offset"/>, opening the index if needed.</summary>
    public void TruncateTo(long offset) => Use(offset, static (index, o) => { index.TruncateTo(o); return true; });

    /// <summary>Checks the index's entries, opening it if needed.</summary>
    public void SanityCheck() => Use(0, static (index, _) => { index.SanityCheck(); return true; });

    /// <summary>
    /// Runs <paramref name="operation"/> on the open index under the gate, so an eviction cannot close it midway.
    /// Callers pass static lambdas and their state as <paramref name="argument"/>: nothing is allocated per call.
    /// </summary>
    protected TResult Use<TArgument, TResult>(TArgument argument, Func<T, TArgument, TResult> operation)
    {
        TResult result;
        bool register;
        lock (Gate)
            result = operation(GetLocked(out register), argument);
        Accessed(register);
        return result;
    }

    /// <summary>Opens the index file; called under <see cref="Gate"/>.</summary>
    protected abstract T Open(string path, long baseOffset, int maxIndexSize, bool writable);

    /// <summary>
    /// The open index, opening it if needed; the caller holds <see cref="Gate"/> for as long as it uses the
    /// result, then calls <see cref="Accessed"/> after releasing it.
    /// </summary>
    /// <param name="register">Set when the index just opened read-only and must join the cache.</param>
    protected T GetLocked(out bool register)
    {
        T? index = _index;
        // An index that a failed trim or resize left closed is opened again rather than handed out closed.
        if (index is not null && !index.IsClosed)
        {
            register = false;
            return index;
        }
        if (index is not null)
            _cache?.Unregister(this);
        index = Open(_path, BaseOffset, MaxIndexSize, _writable);
        Volatile.Write(ref _index, index);
        register = !_writable && _cache is not null;
        return index;
    }

    /// <summary>
    /// Records a use for the cache's recency order and, after an open, registers with the cache, which may
    /// evict other indexes. Called without <see cref="Gate"/>: evicting takes other indexes' locks, and holding
    /// ours meanwhile could deadlock with an index that is evicting us.
    /// </summary>
    protected void Accessed(bool register)
    {
        // Only read-only indexes are in the cache's recency order; the active segment's are used on every append, where
        // the clock read would cost more than the index work (benchmarks/RESULTS.md, "Comparison").
        if (register || !_writable)
            Volatile.Write(ref _lastAccess, SegmentFileCache.Now());
        if (register)
            _cache?.Register(this);
    }

    // Unregistering under the gate is safe (the cache never takes an index's lock while holding its own) and
    // keeps "open ⇒ registered" true: a concurrent reopen registers after we are done.
    private void CloseLocked()
    {
        T? index = _index;
        if (index is null)
            return;
        Volatile.Write(ref _index, null);
        _cache?.Unregister(this);
        index.Close();
    }

    private static bool DeleteFile(string path)
    {
        try
        {
            return StoreFile.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StorageException("Could not delete index file.", path, ex);
        }
    }
}
