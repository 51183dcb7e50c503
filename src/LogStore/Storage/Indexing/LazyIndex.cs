using LogStore.Storage.Files;

namespace LogStore.Storage.Indexing;

/// <summary>
/// An index that opens its file on first use (Kafka's <c>LazyIndex</c>), so a partition with thousands of inactive
/// segments opens without touching a single index file. Once open it registers with the broker's
/// <see cref="SegmentFileCache"/>, may be closed again when evicted, and reopens transparently — the active segment's
/// writable index too, so that an idle partition holds no mapping (its file is then left untrimmed, as after a crash,
/// and trimmed by the close that follows a reopen).
/// </summary>
/// <remarks>
/// <para><b>File format:</b> that of <typeparamref name="T"/>; this type adds none.</para>
/// <para><b>Thread-safety:</b> thread-safe. The open index lives behind a per-instance lock that every
/// operation holds for its whole call, so an eviction can never close an index in the middle of a lookup or an append.
/// Use the operations of this type, <see cref="LazyOffsetIndex"/> and <see cref="LazyTimeIndex"/>; <see cref="Get"/>
/// returns the open index itself, which the cache may close at any moment: only single calls on it that tolerate
/// <see cref="ObjectDisposedException"/>, or the load of a partition that no other thread sees yet, may use it.</para>
/// <para><b>After a crash:</b> nothing of its own; the file is whatever <typeparamref name="T"/> left.</para>
/// </remarks>
internal abstract class LazyIndex<T> : IEvictableFile, IDisposable
    where T : IndexFile
{
    private readonly SegmentFileCache? _cache;
    private T? _index;
    // The last index opened writable, kept after the cache closes it: its entry count and capacity stay valid, so IsFull
    // needs no reopen. Null when the last open was read-only (its capacity is its file's, not MaxIndexSize).
    private T? _last;
    private string _path;
    private volatile bool _writable;
    // An evicted writable index that changed since its last trim: the next open passes it on, so the close trims.
    private bool _dirty;
    private long _lastAccess;
    private int _cacheSlot = -1;

    /// <summary>Remembers where the index lives; opens nothing.</summary>
    /// <param name="path">The index file.</param>
    /// <param name="baseOffset">The base offset of the segment.</param>
    /// <param name="maxIndexSize">The size a writable index may grow to (<c>segment.index.bytes</c>).</param>
    /// <param name="writable">True for the active segment's index: opened read-write.</param>
    /// <param name="cache">The broker's cache of open segment files, or null to keep the index open until closed.</param>
    protected LazyIndex(string path, long baseOffset, int maxIndexSize, bool writable, SegmentFileCache? cache)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _path = path;
        BaseOffset = baseOffset;
        MaxIndexSize = maxIndexSize;
        _writable = writable;
        _cache = cache;
    }

    /// <summary>The file system the index lives on.</summary>
    protected FileSystem Files => _cache?.Files ?? FileSystem.Disk;

    /// <summary>Whether the next open must treat the file as changed since its last trim (see <see cref="IndexFile.IsDirty"/>).</summary>
    protected bool OpenDirty => _dirty;

    /// <summary>The index file's current path.</summary>
    public string Path => Volatile.Read(ref _path);

    /// <summary>The base offset of the segment this index belongs to.</summary>
    public long BaseOffset { get; }

    /// <summary>The size a writable index may grow to.</summary>
    public int MaxIndexSize { get; }

    /// <summary>True while the file is open (mapped).</summary>
    public bool IsOpen => Volatile.Read(ref _index) is not null;

    /// <summary>True for an active segment's index, which opens read-write.</summary>
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
    /// The open index, opening it if needed. The cache may close it at any moment (see the remarks on the type); read
    /// and write through this type's methods instead.
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
    /// mapping is closed and the next use opens the file read-write, able to grow to <see cref="MaxIndexSize"/>.
    /// </summary>
    public void MakeWritable()
    {
        lock (Gate)
        {
            if (_writable)
                return;
            CloseLocked();
            Volatile.Write(ref _last, null);
            _writable = true;
        }
    }

    /// <summary>
    /// Turns the active index into an inactive one (the segment rolled): the file is trimmed to its entries and
    /// stays mapped read-only.
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
            T index = GetLocked(out _);
            index.TrimToValidSize();
            _dirty = false;
            _writable = false;
        }
        Accessed(register: true);
    }

    /// <summary>Closes the index, trimming and fsyncing a writable one that changed (reopening it if the cache had closed
    /// it); from then on it is read-only, and the next use reopens it so.</summary>
    public void Close()
    {
        lock (Gate)
        {
            if (_index is null && _writable && _dirty)
                GetLocked(out _);
            CloseLocked();
            _writable = false;
        }
    }

    /// <summary>True when no entry can be appended; answered from the last open index without reopening it.</summary>
    public bool IsFull => (Volatile.Read(ref _last) ?? Get()).IsFull;

    /// <summary>See <see cref="IndexFile.EnsureRoom"/>.</summary>
    public void EnsureRoom(int additional) => Use(additional, static (index, n) => { index.EnsureRoom(n); return true; });

    /// <summary>See <see cref="IndexFile.Reset"/>.</summary>
    public void Reset() => Use(0, static (index, _) => { index.Reset(); return true; });

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
            _dirty = false;
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
            if (_index is not { } index)
                return;
            Volatile.Write(ref _index, null);
            if (_writable)
            {
                // No trim and no fsync here: the eviction runs on whichever thread opened another file, and a writable
                // index is trimmed when its segment rolls or closes. The dirty flag travels to the reopen.
                _dirty = index.IsDirty;
                index.CloseWithoutTrim();
            }
            else
            {
                index.Close();
            }
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

    /// <summary>Opens the index file, passing <see cref="OpenDirty"/> on; called under <see cref="Gate"/>.</summary>
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
        _dirty = false;
        Volatile.Write(ref _index, index);
        Volatile.Write(ref _last, _writable ? index : null);
        register = _cache is not null;
        return index;
    }

    /// <summary>
    /// Records a use for the cache's recency order and, after an open, registers with the cache, which may
    /// evict other indexes. Called without <see cref="Gate"/>: evicting takes other indexes' locks, and holding
    /// ours meanwhile could deadlock with an index that is evicting us.
    /// </summary>
    protected void Accessed(bool register)
    {
        // The active segment's index is used once per index entry, not per append (the roll check reads IsFull without
        // opening it), so the clock read is paid once per index.interval.bytes.
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
