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
        int lo = 0, hi = _mappedSlots;
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

    private bool _reserveFailedAtOpen;

    private void Open(bool writable)
    {
        if (writable)
        {
            _stream = StoreFile.Open(_path, FileMode.OpenOrCreate, FileAccess.ReadWrite);
            long length = RoundDown(_stream.Length);
            // Never cut off entries a larger earlier configuration wrote.
            _maxEntries = (int)Math.Min(Math.Max(RoundDown(_maxIndexSize), length) / EntrySize, int.MaxValue);
            if (length != _stream.Length)
                _files.SetLength(_stream, length, _path);
            if (length > 0)
                ReserveExisting(length);
        }
        else
        {
            _stream = StoreFile.Open(_path, FileMode.Open, FileAccess.Read);
            _maxEntries = (int)Math.Min(_stream.Length / EntrySize, int.MaxValue);
        }
        Map(_stream.Length, writable);
    }

    /// <summary>
    /// Makes sure the blocks of an existing file are reserved before it is mapped writable: normally they are (this
    /// store grew it, or its entries were written), but a copied or restored file may be sparse. On a full disk the
    /// index opens anyway, as full, so that nothing is ever stored past its entries (opening needs no free space).
    /// </summary>
    private void ReserveExisting(long length)
    {
        try
        {
            _files.Preallocate(_stream!, length, _path);
        }
        catch (IOException e) when (DiskErrors.IsDiskFull(e))
        {
            _reserveFailedAtOpen = true;
        }
    }

    private void Map(long length, bool writable)
    {
        _length = length;
        _mappedSlots = (int)Math.Min(length / EntrySize, int.MaxValue);
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

    /// <summary>
    /// Grows a writable file to hold at least <paramref name="slots"/> entries, reserving the new blocks before they are
    /// mapped. On a full disk the file and mapping stay as they were; then <paramref name="strict"/> throws, and otherwise
    /// the index becomes full (returns false). Called under Sync.
    /// </summary>
    private bool Grow(int slots, bool strict)
    {
        long capacity = (long)_maxEntries * EntrySize;
        long needed = (long)slots * EntrySize;
        if (needed > capacity)
            return false;
        long target = Math.Max(needed, _length + Math.Max(GrowthStep, _length / 4));
        target = Math.Min(RoundDown((target + GrowthStep - 1) / GrowthStep * GrowthStep), capacity);
        long previous = _length;
        try
        {
            Unmap();
            try
            {
                _files.Preallocate(_stream!, target, _path);
            }
            catch (IOException e) when (DiskErrors.IsDiskFull(e))
            {
                Map(previous, writable: true);
                if (strict)
                    throw new StorageException($"No space left on device: cannot grow index file to {target} bytes.", _path, e);
                // Nothing may be stored past the mapped slots any more: the index is full until it is trimmed.
                _maxEntries = _mappedSlots;
                return false;
            }
            Map(target, writable: true);
            _dirty = true;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Leave the index closed rather than half-mapped.
            Release();
            _closed = true;
            throw new StorageException($"Could not grow index file to {target} bytes.", _path, ex);
        }
    }

    private void SetLengthAndMap(long length, bool writable, bool sync, bool remap = true)
    {
        try
        {
            Unmap();
            if (!_stream!.CanWrite)
            {
                _stream.Dispose();
                _stream = StoreFile.Open(_path, FileMode.Open, FileAccess.ReadWrite);
            }
            _files.SetLength(_stream, length, _path);
            if (sync)
            {
                _files.Flush(_stream, _path);
                _dirty = false;
            }
            if (remap)
                Map(length, writable);
            else
                _writable = writable;
            if (!writable)
                _maxEntries = (int)Math.Min(length / EntrySize, int.MaxValue);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Leave the index closed rather than half-mapped.
            Release();
            _closed = true;
            throw new StorageException($"Could not resize index file to {length} bytes.", _path, ex);
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
        _mappedSlots = 0;
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
