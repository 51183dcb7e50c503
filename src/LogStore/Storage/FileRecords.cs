using LogStore.Storage.Files;
using LogStore.Storage.Indexing;
using Microsoft.Win32.SafeHandles;

namespace LogStore.Storage;

/// <summary>
/// A segment's <c>.log</c> file: whole RecordBatch v2 batches back to back, appended with positional writes and
/// read with positional reads (the OS page cache is the only cache). Bytes are never rewritten in place; the only
/// change to written data is truncation during recovery.
/// The file handle is opened on first use and closed again by the broker's <see cref="SegmentFileCache"/> when idle —
/// the active segment's too, so that neither 100,000 segments nor 10,000 idle partitions hold a handle each. Each use,
/// appends included, leases the handle (reopening it if needed), and an eviction waits for the leases to end.
/// Thread-safety: one appender (the partition's writer); any number of concurrent readers, which see at most
/// <see cref="SizeInBytes"/>, published only after the bytes are written.
/// After a crash: anything past the last fsync may be torn or missing; <see cref="LogSegment.Recover"/> finds the end.
/// Writes, fsyncs, truncations and renames go through the broker's <see cref="FileSystem"/>; a write that fails (a full
/// disk) leaves <see cref="SizeInBytes"/> where it was and cuts off whatever part of the batch reached the file.
/// </summary>
internal sealed partial class FileRecords : IEvictableFile, IDisposable
{
    private readonly Lock _gate = new();
    private readonly SegmentFileCache? _cache;
    private readonly FileSystem _files;
    private FileStream? _stream;
    // FileStream.SafeFileHandle seeks the descriptor to the stream's position on every call (an lseek per append or
    // read); every I/O here is positional, so the handle is taken once, when the stream opens.
    private SafeFileHandle? _handle;
    private int _leases;
    private bool _active;
    private bool _closeWhenIdle;
    private bool _disposed;
    private int _size;
    private long _lastAccess;
    private int _cacheSlot = -1;
    private int _writebackStart;
    // A file another process writes (a read-only open follows it): opened for reading only, never written.
    private bool _readOnly;

    // Appends start the disk's writeback every 8 MiB: measured on this project's machine, a durable 1 GiB append
    // then finishes 1.5x sooner than leaving every byte for the final fsync (benchmarks/RESULTS.md).
    private const int WritebackChunk = 8 << 20;

    private FileRecords(string path, int size, SegmentFileCache? cache)
    {
        FilePath = path;
        _size = size;
        _writebackStart = size;
        _cache = cache;
        _files = cache?.Files ?? FileSystem.Disk;
    }

    public string FilePath { get; private set; }

    /// <summary>Bytes of complete batches; readers never look past it.</summary>
    public int SizeInBytes => Volatile.Read(ref _size);

    public bool IsOpen
    {
        get
        {
            lock (_gate)
                return _stream is not null;
        }
    }

    long IEvictableFile.LastAccess => Volatile.Read(ref _lastAccess);

    int IEvictableFile.CacheSlot
    {
        get => _cacheSlot;
        set => _cacheSlot = value;
    }

    /// <summary>Opens the file: an active one (or one being created) opens its handle now, so that a failure shows at
    /// open or roll; an inactive one is only measured until it is read.</summary>
    public static FileRecords Open(string path, bool create, bool active, SegmentFileCache? cache)
    {
        try
        {
            var info = new FileInfo(path);
            if (!create && !info.Exists)
                throw new StorageException("Segment file is missing.", path);
            long length = info.Exists ? info.Length : 0;
            if (length > int.MaxValue)
                throw new StorageException($"Segment file is {length} bytes, larger than a segment may be (2 GiB).", path);
            var records = new FileRecords(path, (int)length, cache);
            if (create || active)
                records.MakeActive(create);
            return records;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"Cannot open segment file: {e.Message}", path, e);
        }
    }

    /// <summary>Opens a segment file that another process may be appending to: read only, never written, and
    /// <see cref="SizeInBytes"/> is 0 until the follower publishes how far complete batches reach
    /// (<see cref="PublishFollowedSize"/>).</summary>
    public static FileRecords OpenFollowed(string path, SegmentFileCache? cache) =>
        new(path, 0, cache) { _readOnly = true };

    /// <summary>The file's length now (a followed file grows, or shrinks when replaced), or -1 when it is gone.</summary>
    public long CurrentFileLength()
    {
        try
        {
            var info = new FileInfo(FilePath);
            return info.Exists ? info.Length : -1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    /// <summary>Where the complete batches of a followed file end: readers see up to there.</summary>
    public void PublishFollowedSize(int size)
    {
        if (!_readOnly)
            throw new InvalidOperationException($"{FilePath} is not followed.");
        Volatile.Write(ref _size, size);
    }

    /// <summary>Forgets the handle, so that the next read opens the path again (the file there was replaced).</summary>
    public void ReopenOnNextUse()
    {
        lock (_gate)
        {
            if (_leases == 0)
                CloseLocked();
            else
                _closeWhenIdle = true;
        }
    }

    /// <summary>Accepts appends from now on: the segment is active. Opens (with <paramref name="create"/>, creates) the
    /// file now; the cache may close the handle again while no append or read uses it.</summary>
    public void MakeActive(bool create = false)
    {
        bool opened;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            opened = _stream is null;
            OpenLocked(create);
            _active = true;
        }
        Touch(register: opened);
    }

    /// <summary>Refuses appends from now on: the segment is no longer active.</summary>
    public void MakeInactive()
    {
        lock (_gate)
            _active = false;
    }

    /// <summary>Writes <paramref name="batch"/> at the end; returns the position it starts at. Active segments only.</summary>
    public int Append(ReadOnlySpan<byte> batch)
    {
        int position = _size;
        (FileStream stream, SafeFileHandle handle) = AcquireForAppend();
        try
        {
            _files.Write(handle, batch, position, FilePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Readers never see past SizeInBytes, but a clean close would make a torn tail part of the file that the next
            // open trusts; cut it off now (best effort: the open's tail check or recovery would truncate it too).
            TryTruncateTail(stream, position);
            throw new StorageException($"Cannot append {batch.Length} bytes at position {position}: {e.Message}", FilePath, e);
        }
        finally
        {
            Release();
        }
        Publish(handle, position + batch.Length);
        return position;
    }

    /// <summary>Makes written bytes up to <paramref name="end"/> visible to readers and starts writeback when due.</summary>
    private void Publish(SafeFileHandle handle, int end)
    {
        Volatile.Write(ref _size, end);
        if (end - _writebackStart >= WritebackChunk)
        {
            DurableFile.StartWriteback(handle, _writebackStart, end - _writebackStart);
            _writebackStart = end;
        }
    }

    private void TryTruncateTail(FileStream stream, int size)
    {
        try
        {
            _files.SetLength(stream, size, FilePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The bytes past SizeInBytes stay; nothing reads them, and the next open validates the tail.
        }
    }

    /// <summary>Reads up to <paramref name="destination"/>.Length bytes at <paramref name="position"/>, never past <paramref name="limit"/>.</summary>
    public int Read(long position, Span<byte> destination, int limit)
    {
        int wanted = (int)Math.Min(destination.Length, Math.Max(0, limit - position));
        if (wanted == 0)
            return 0;
        SafeFileHandle handle = Acquire().Handle;
        try
        {
            int total = 0;
            while (total < wanted)
            {
                int n = RandomAccess.Read(handle, destination.Slice(total, wanted - total), position + total);
                if (n == 0)
                    break;
                total += n;
            }
            return total;
        }
        catch (IOException e)
        {
            throw new StorageException($"Cannot read at position {position}: {e.Message}", FilePath, e);
        }
        finally
        {
            Release();
        }
    }

    /// <summary>fsync: everything appended so far survives a power loss once this returns.</summary>
    public void Flush()
    {
        FileStream stream = Acquire().Stream;
        try
        {
            _files.Flush(stream, FilePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"fsync failed: {e.Message}", FilePath, e);
        }
        finally
        {
            Release();
        }
    }

    /// <summary>Cuts the file at <paramref name="size"/> (recovery and replication truncation only).</summary>
    public void TruncateTo(int size)
    {
        FileStream stream = Acquire().Stream;
        try
        {
            _files.SetLength(stream, size, FilePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"Cannot truncate to {size} bytes: {e.Message}", FilePath, e);
        }
        finally
        {
            Release();
        }
        Volatile.Write(ref _size, size);
        _writebackStart = Math.Min(_writebackStart, size);
    }

    /// <summary>
    /// Renames the file (segment deletion and the cleaner's swap). The handle is closed first when no read is in
    /// flight, so the rename also works where open files cannot be renamed; a read in flight keeps its handle (opened
    /// with <see cref="FileShare.Delete"/>, which permits the rename) and the next use reopens at the new path.
    /// </summary>
    public void RenameTo(string newPath)
    {
        lock (_gate)
        {
            if (_leases == 0)
                CloseLocked();
            try
            {
                _files.Move(FilePath, newPath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new StorageException($"Cannot rename segment file to '{Path.GetFileName(newPath)}': {e.Message}", FilePath, e);
            }
            FilePath = newPath;
        }
    }

    /// <summary>Closes the handle and deletes the file.</summary>
    public void Delete()
    {
        Dispose();
        StoreFile.Delete(FilePath);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            _active = false;
            if (_leases == 0)
                CloseLocked();
            else
                _closeWhenIdle = true;
        }
        _cache?.Unregister(this);
    }

    void IEvictableFile.Evict()
    {
        lock (_gate)
        {
            if (_leases == 0)
                CloseLocked();
            else
                _closeWhenIdle = true;
        }
    }

    private (FileStream Stream, SafeFileHandle Handle) Acquire()
    {
        bool opened;
        (FileStream, SafeFileHandle) leased;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            opened = _stream is null || _closeWhenIdle;
            OpenLocked(create: false);
            _closeWhenIdle = false;
            _leases++;
            leased = (_stream!, _handle!);
        }
        Touch(register: opened);
        return leased;
    }

    /// <summary>A lease on the handle for an append: the segment must be active (an append after a failed roll must not
    /// land in the previous segment). The caller calls <see cref="Release"/>.</summary>
    private (FileStream Stream, SafeFileHandle Handle) AcquireForAppend()
    {
        lock (_gate)
        {
            if (!_active)
                throw new InvalidOperationException($"Segment {FilePath} is not active.");
        }
        return Acquire();
    }

    private void OpenLocked(bool create)
    {
        if (_stream is not null)
            return;
        _stream = OpenStream(create);
        _handle = _stream.SafeFileHandle;
    }

    private void Release()
    {
        lock (_gate)
        {
            if (--_leases == 0 && _closeWhenIdle)
                CloseLocked();
        }
    }

    private void Touch(bool register)
    {
        Volatile.Write(ref _lastAccess, SegmentFileCache.Now());
        if (register)
            _cache?.Register(this);
    }

    private FileStream OpenStream(bool create)
    {
        try
        {
            return _readOnly ? StoreFile.Open(FilePath, FileMode.Open, FileAccess.Read)
                : StoreFile.Open(FilePath, create ? FileMode.OpenOrCreate : FileMode.Open, FileAccess.ReadWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"Cannot open segment file: {e.Message}", FilePath, e);
        }
    }

    private void CloseLocked()
    {
        _stream?.Dispose();
        _stream = null;
        _handle = null;
        _closeWhenIdle = false;
    }
}
