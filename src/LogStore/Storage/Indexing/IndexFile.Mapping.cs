using System.IO.MemoryMappedFiles;
using LogStore.Storage.Files;

namespace LogStore.Storage.Indexing;

// The file and mapping life cycle of IndexFile: open, preallocate, map, resize, release. The type's documentation
// (file format, thread-safety, crash behaviour) is on the part in IndexFile.cs; every method here runs in the
// constructor or under Sync.
//
// The file is opened with FileShare.ReadWrite | FileShare.Delete so that a reader elsewhere (a tool, a copy taken by
// a test) never blocks the broker, and the mapping is always released before the length changes, which Windows
// requires and Linux tolerates.
internal abstract unsafe partial class IndexFile
{
    /// <summary>Renames an index file if it exists, wrapping I/O failures.</summary>
    internal static void MoveFile(FileSystem files, string from, string to)
    {
        try
        {
            if (File.Exists(from))
                files.Move(from, to);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"Could not rename index file to '{to}'.", from, ex);
        }
    }

    // Real entries form a prefix and zeros the tail, so the first all-zero slot is the entry count.
    private int CountEntries()
    {
        int lo = 0, hi = _maxEntries;
        while (lo < hi)
        {
            int mid = (int)(((uint)lo + (uint)hi) >> 1);
            if (new ReadOnlySpan<byte>(SlotPointer(mid), EntrySize).ContainsAnyExcept((byte)0))
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }

    private void Open(bool writable)
    {
        if (writable)
        {
            _stream = StoreFile.Open(_path, FileMode.OpenOrCreate, FileAccess.ReadWrite);
            // Preallocate, but never cut off entries a larger earlier configuration wrote.
            long length = Math.Max(RoundDown(_maxIndexSize), RoundDown(_stream.Length));
            if (_stream.Length != length)
                SetLength(length);
        }
        else
        {
            _stream = StoreFile.Open(_path, FileMode.Open, FileAccess.Read);
        }
        Map(_stream.Length, writable);
    }

    private void Map(long length, bool writable)
    {
        _length = length;
        _maxEntries = (int)Math.Min(length / EntrySize, int.MaxValue);
        _writable = writable;
        // A 0-byte file cannot be mapped; it simply has no slots.
        if (length == 0)
            return;
        var access = writable ? MemoryMappedFileAccess.ReadWrite : MemoryMappedFileAccess.Read;
        _mapping = MemoryMappedFile.CreateFromFile(_stream!, mapName: null, length, access, HandleInheritability.None, leaveOpen: true);
        _view = _mapping.CreateViewAccessor(0, length, access);
        byte* pointer = null;
        // Acquired once and released in Unmap, so lookups pay no SafeHandle reference counting.
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer + _view.PointerOffset;
    }

    private void SetLengthAndMap(long length, bool writable, bool remap = true)
    {
        try
        {
            Unmap();
            if (!_stream!.CanWrite)
            {
                _stream.Dispose();
                _stream = StoreFile.Open(_path, FileMode.Open, FileAccess.ReadWrite);
            }
            length = SetLength(length);
            _files.Flush(_stream, _path);
            if (remap)
                Map(length, writable);
            else
                _writable = writable;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Leave the index closed rather than half-mapped.
            Release();
            _closed = true;
            throw new StorageException($"Could not resize index file to {length} bytes.", _path, ex);
        }
    }

    /// <summary>
    /// Sets the file's length, reserving the blocks of a growing file (see <see cref="DurableFile.Reserve"/>). In
    /// best-effort mode a full disk leaves the file as it was; returns the length the file has.
    /// </summary>
    private long SetLength(long length)
    {
        long current = _stream!.Length;
        if (length <= current)
        {
            _files.SetLength(_stream, length, _path);
            return length;
        }
        try
        {
            _files.Preallocate(_stream, length, _path);
            return length;
        }
        catch (IOException e) when (_preallocateBestEffort && DiskErrors.IsDiskFull(e))
        {
            // An index is a hint: one that stays at its length is full, and the segment rolls at its next append.
            return current;
        }
    }

    private void Unmap()
    {
        if (_view is not null)
        {
            if (_base is not null)
                _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _mapping?.Dispose();
        _base = null;
        _view = null;
        _mapping = null;
        _maxEntries = 0;
    }

    private void Release()
    {
        Unmap();
        _stream?.Dispose();
        _stream = null;
        _writable = false;
    }

    private long RoundDown(long size) => size / EntrySize * EntrySize;
}
