using System.IO.MemoryMappedFiles;
using LogStore.Storage.Files;

namespace LogStore.Storage.Indexing;

/// <summary>
/// A memory-mapped file of fixed-size, big-endian entries, the base of <see cref="OffsetIndex"/> and
/// <see cref="TimeIndex"/> (Kafka's <c>AbstractIndex</c>).
/// </summary>
/// <remarks>
/// <para><b>File format:</b> a flat array of <see cref="EntrySize"/>-byte entries, no header and no checksum.
/// A writable (active) index may hold up to <c>maxIndexSize</c> rounded down to a multiple of the entry size
/// (<see cref="MaxEntries"/>), but its file only grows as entries are added: it is extended, with its blocks reserved
/// (posix_fallocate), in steps of <see cref="GrowthStep"/> bytes or a quarter of its length, whichever is larger, and
/// is zero-filled past the last entry. It is trimmed to exactly <see cref="SizeInBytes"/> when its segment rolls or
/// closes (<see cref="TrimToValidSize"/>). So an index takes the disk its entries need plus at most a quarter (Kafka
/// leaves a sparse file of <c>segment.index.bytes</c> instead, which a store into the mapping cannot fill safely).</para>
/// <para><b>Thread-safety:</b> one writer and any number of readers. Every operation that touches the mapping
/// takes one short lock, so a lookup can never run against a mapping that a concurrent close, growth or trim
/// is tearing down (it sees the index closed and throws <see cref="ObjectDisposedException"/> instead of
/// faulting). A lookup is a handful of reads, so an uncontended lock costs less than a reader-writer lock's
/// bookkeeping would; <see cref="Entries"/> and <see cref="IsFull"/> are read without the lock and stay valid after a
/// close.</para>
/// <para><b>After a crash:</b> the file may still have its grown length with zeros after the last
/// entry. The entry count is therefore never taken from the file length (KAFKA-19200): it is the index of
/// the first all-zero slot, found by binary search. That is sound because no real entry is all zeros: every
/// offset-index entry has a relative offset above 0 (the batch at position 0 never gets an entry, and any later
/// batch ends past the base offset), and a time-index entry could only be all zeros at slot 0 with timestamp 0,
/// where losing it merely makes a lookup start at the segment's beginning. Truncation zeroes the slots it
/// drops so the rule keeps holding. Anything still wrong is found by <c>SanityCheck</c>, and the loader
/// rebuilds the index from the log; an index is only ever a hint.</para>
/// <para><b>Full disk:</b> growth, fsync and rename go through the broker's <see cref="FileSystem"/>. Every byte of the
/// mapping has its blocks reserved before it is mapped writable, so a store into it never meets a full disk (which would
/// be SIGBUS, not an exception). Opening reserves nothing new, so a full disk never stops a broker from opening. The append
/// path reserves the next step before writing a batch whose index entry is due (<see cref="EnsureRoom"/>), so on a full
/// disk that append fails with a <see cref="StorageException"/> and nothing is written; where no caller can fail (recovery
/// rebuilding an index, the final time entry of a roll) a growth the disk refuses makes the index full instead: it stays
/// sparser, and the next append rolls, which fails cleanly until space is freed.</para>
/// <para><b>Cost</b> (benchmarks/RESULTS.md, "Index space"): growing costs an unmap, a fallocate and a map per step,
/// every 512 offset entries (2 MiB of log at the default <c>index.interval.bytes</c>) while the index is small.</para>
/// </remarks>
internal abstract unsafe partial class IndexFile : IDisposable
{
    /// <summary>The smallest step a writable index grows by: one page, the unit the disk allocates anyway.</summary>
    public const int GrowthStep = 4096;

    private readonly int _maxIndexSize;
    private readonly FileSystem _files;
    private string _path;
    private FileStream? _stream;
    private MemoryMappedFile? _mapping;
    private MemoryMappedViewAccessor? _view;
    private byte* _base;          // start of the view; null when nothing is mapped (0-length file or closed)
    private long _length;         // file length in bytes as found at open or last resize
    private volatile int _mappedSlots;
    private volatile int _maxEntries;
    private volatile int _entries;
    private volatile bool _writable;
    private volatile bool _closed;
    private bool _dirty;

    /// <summary>Opens (and, when <paramref name="writable"/>, creates) the index file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="baseOffset">The base offset of the segment.</param>
    /// <param name="maxIndexSize">The size a writable index may grow to.</param>
    /// <param name="writable">Open read-write, rather than read-only.</param>
    /// <param name="entrySize">Bytes per entry.</param>
    /// <param name="files">The file system; null for the disk.</param>
    /// <param name="dirty">The file was changed since it was last trimmed and fsynced (a writable index the
    /// <see cref="SegmentFileCache"/> closed and its owner reopens): the next close trims and fsyncs it.</param>
    /// <exception cref="StorageException">The file could not be opened, created or mapped.</exception>
    protected IndexFile(string path, long baseOffset, int maxIndexSize, bool writable, int entrySize, FileSystem? files = null, bool dirty = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (writable && maxIndexSize < entrySize)
            throw new ArgumentOutOfRangeException(nameof(maxIndexSize), maxIndexSize, $"An index needs room for at least one {entrySize}-byte entry.");
        _path = path;
        BaseOffset = baseOffset;
        EntrySize = entrySize;
        _maxIndexSize = maxIndexSize;
        _writable = writable;
        _files = files ?? FileSystem.Disk;
        _dirty = dirty;
        try
        {
            Open(writable);
        }
        catch (StorageException)
        {
            Release();
            throw;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Release();
            throw new StorageException("Could not open index file.", path, ex);
        }
        _entries = CountEntries();
        if (_reserveFailedAtOpen)
            _maxEntries = _entries;
    }

    /// <summary>The size of one entry in bytes.</summary>
    protected int EntrySize { get; }

    /// <summary>The lock every operation on the mapping holds; subclasses take it around their own reads and writes.</summary>
    protected Lock Sync { get; } = new();

    /// <summary>The index file's current path.</summary>
    public string Path => _path;

    /// <summary>The base offset of the segment this index belongs to.</summary>
    public long BaseOffset { get; }

    /// <summary>The size this index may grow to when it is (or becomes) writable.</summary>
    public int MaxIndexSize => _maxIndexSize;

    /// <summary>How many entries the index can hold: a writable one grows its file up to it, a read-only one holds what its
    /// file holds. Kept after a close.</summary>
    public int MaxEntries => _maxEntries;

    /// <summary>How many entries the index holds. Kept after a close.</summary>
    public int Entries => _entries;

    /// <summary>True when no entry can be appended. Kept after a close.</summary>
    public virtual bool IsFull => _entries >= _maxEntries;

    /// <summary>The bytes the entries use (the file length after <see cref="TrimToValidSize"/>).</summary>
    public int SizeInBytes => _entries * EntrySize;

    /// <summary>The length of the file as mapped, which may exceed <see cref="SizeInBytes"/> while the index is writable.</summary>
    public long FileLength => _length;

    /// <summary>True while the file is mapped read-write and accepts appends.</summary>
    public bool IsWritable => _writable;

    /// <summary>True once <see cref="Close"/>, <see cref="DeleteIfExists"/> or <see cref="RenameTo"/> ran.</summary>
    public bool IsClosed => _closed;

    /// <summary>True when the file changed since it was last trimmed and fsynced, or is longer than its entries; its close
    /// then trims and fsyncs it.</summary>
    public bool IsDirty => _dirty || _length != SizeInBytes;

    /// <summary>Flushes written entries to the disk: the mapped pages, then an fsync of the file. Segment flushes do not
    /// call it (an active index is rebuilt by recovery, a rolled one synced by its trim: <see cref="LogSegment.Flush"/>).</summary>
    public void Flush()
    {
        lock (Sync)
        {
            if (_closed || !_writable)
                return;
            try
            {
                _view?.Flush();
                _files.Flush(_stream!, _path);
                _dirty = false;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new StorageException("Could not flush index file.", _path, ex);
            }
        }
    }

    /// <summary>
    /// Shrinks the file to exactly its entries (segment roll or close), fsyncs it, and keeps it mapped
    /// read-only so lookups continue. No-op when the index is already read-only.
    /// </summary>
    public void TrimToValidSize()
    {
        lock (Sync)
        {
            if (_closed || !_writable)
                return;
            SetLengthAndMap(SizeInBytes, writable: false, sync: IsDirty);
        }
    }

    /// <summary>
    /// Reserves room for <paramref name="additional"/> more entries before the caller writes what they will index, so that
    /// a full disk fails that write rather than the index store. Does nothing when the room is there, or when the
    /// index cannot grow that far (it is full: the caller rolls).
    /// </summary>
    /// <exception cref="StorageException">The disk is full (or another I/O error): nothing changed.</exception>
    public void EnsureRoom(int additional)
    {
        lock (Sync)
        {
            ThrowIfClosed();
            ThrowIfReadOnly();
            int wanted = (int)Math.Min((long)_entries + additional, _maxEntries);
            if (wanted > _mappedSlots)
                Grow(wanted, strict: true);
        }
    }

    /// <summary>
    /// Sets how large a writable index may grow, <paramref name="newSize"/> rounded down to a multiple of the entry size
    /// (Kafka uses this to re-size an index whose segment became active again). A file already longer is cut to it.
    /// </summary>
    /// <returns>False when the index already had that capacity.</returns>
    public bool Resize(int newSize)
    {
        lock (Sync)
        {
            ThrowIfClosed();
            ThrowIfReadOnly();
            long rounded = RoundDown(newSize);
            ArgumentOutOfRangeException.ThrowIfLessThan(rounded, (long)SizeInBytes, nameof(newSize));
            int capacity = (int)Math.Min(rounded / EntrySize, int.MaxValue);
            if (capacity == _maxEntries)
                return false;
            if (_length > rounded)
                SetLengthAndMap(rounded, writable: true, sync: false);
            _maxEntries = capacity;
            _dirty = true;
            OnEntriesChanged();
            return true;
        }
    }

    /// <summary>Keeps the first <paramref name="entries"/> entries and zeroes the slots after them.</summary>
    public void TruncateToEntries(int entries)
    {
        lock (Sync)
        {
            ThrowIfClosed();
            ThrowIfReadOnly();
            int keep = Math.Clamp(entries, 0, _entries);
            int old = _entries;
            // Publish the smaller count first so a reader never trusts a slot that is being zeroed. The zeroing
            // itself is what keeps the open-time count right if we crash later (KAFKA-19200).
            _entries = keep;
            if (old > keep)
            {
                new Span<byte>(SlotPointer(keep), (old - keep) * EntrySize).Clear();
                _dirty = true;
            }
            OnEntriesChanged();
        }
    }

    /// <summary>Removes every entry and gives the file's blocks back (recovery rebuilds the index from the log).</summary>
    public void Reset()
    {
        lock (Sync)
        {
            ThrowIfClosed();
            ThrowIfReadOnly();
            _entries = 0;
            if (_length > 0)
            {
                // No fsync: a crash before the next trim leaves either the old entries (the loader checks them against the
                // log) or zeros, and a writable index is always rebuilt by recovery.
                SetLengthAndMap(0, writable: true, sync: false);
                _dirty = true;
            }
            OnEntriesChanged();
        }
    }

    /// <summary>Unmaps and closes the file. A writable index that changed since it was last trimmed is trimmed to its
    /// entries and fsynced first, so that a clean shutdown leaves it exact and durable; an unchanged one costs no write.</summary>
    public void Close()
    {
        lock (Sync)
        {
            if (_closed)
                return;
            try
            {
                if (_writable && IsDirty)
                    SetLengthAndMap(SizeInBytes, writable: false, sync: true, remap: false);
            }
            finally
            {
                Release();
                _closed = true;
            }
        }
    }

    /// <summary>
    /// Unmaps and closes the file without trimming or syncing it, keeping <see cref="IsDirty"/>: the
    /// <see cref="SegmentFileCache"/> closes an idle active index this way, and its owner reopens it (passing the dirty
    /// flag on) on the next use. The untrimmed zero tail is what a crash would leave, which the count at open handles.
    /// </summary>
    public void CloseWithoutTrim()
    {
        lock (Sync)
        {
            if (_closed)
                return;
            Release();
            _closed = true;
        }
    }

    /// <inheritdoc cref="Close"/>
    public void Dispose() => Close();

    /// <summary>Closes the index without trimming it and deletes the file.</summary>
    /// <returns>True when a file was deleted.</returns>
    public bool DeleteIfExists()
    {
        lock (Sync)
        {
            // No trim: the bytes are about to go away.
            Release();
            _closed = true;
            try
            {
                return StoreFile.Delete(_path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new StorageException("Could not delete index file.", _path, ex);
            }
        }
    }

    /// <summary>
    /// Closes the index (trimming a writable one) and renames its file. The mapping is released first because
    /// Windows cannot rename a mapped file; the object stays closed, and <see cref="LazyIndex{T}"/> reopens it
    /// at the new path on its next use.
    /// </summary>
    public void RenameTo(string newPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(newPath);
        lock (Sync)
        {
            Close();
            MoveFile(_files, _path, newPath);
            _path = newPath;
        }
    }

    /// <summary>True when <paramref name="offset"/> can be stored relative to <see cref="BaseOffset"/>.</summary>
    public bool CanAppendOffset(long offset)
    {
        long relative = offset - BaseOffset;
        return relative is >= 0 and <= int.MaxValue;
    }

    /// <summary>
    /// Removes every entry whose offset is at or above <paramref name="offset"/>; truncating past the last entry does
    /// nothing. Entries increase in offset in both index kinds, so one binary search finds the cut.
    /// </summary>
    public void TruncateTo(long offset)
    {
        lock (Sync)
        {
            ThrowIfClosed();
            int slot = LargestLowerBoundSlot(offset, OffsetIsSearchValue);
            // No entry ≤ offset: drop all. An entry exactly at offset: drop it and the rest. Otherwise keep the
            // lower bound, whose batch ends before offset.
            int keep = slot < 0 ? 0 : ReadSearchKey(slot, OffsetIsSearchValue) == offset ? slot : slot + 1;
            if (keep < Entries)
                TruncateToEntries(keep);
        }
    }

    /// <summary>Whether an entry's absolute offset is its search value (time index) rather than its key (offset index).</summary>
    protected abstract bool OffsetIsSearchValue { get; }

    /// <summary>Checks the entries are well formed; throws <see cref="CorruptIndexException"/> when not.</summary>
    public abstract void SanityCheck();

    /// <summary>Reads the key (<paramref name="value"/> false) or value of an entry, for the shared search.</summary>
    protected abstract long ReadSearchKey(int slot, bool value);

    /// <summary>Lets a subclass refresh what it caches about the last entry; called under <see cref="Sync"/>.</summary>
    protected abstract void OnEntriesChanged();

    /// <summary>
    /// The slot of the greatest entry whose key (or value) is ≤ <paramref name="target"/>, or -1 when every
    /// entry is greater or the index is empty. The caller holds <see cref="Sync"/>.
    /// </summary>
    protected int LargestLowerBoundSlot(long target, bool searchValue = false)
    {
        ThrowIfClosed();
        int entries = _entries;
        if (entries == 0 || ReadSearchKey(0, searchValue) > target)
            return -1;
        // Kafka's cache-friendly search: nearly every lookup (consumers and followers reading near the end)
        // lands in the last few KiB of the file, so search those "warm" slots first and touch the cold pages,
        // which may have left the page cache, only for old data.
        int firstWarm = Math.Max(0, entries - 1 - (8192 / EntrySize));
        if (ReadSearchKey(firstWarm, searchValue) <= target)
            return Search(firstWarm, entries - 1, target, searchValue);
        return Search(0, firstWarm, target, searchValue);
    }

    /// <summary>A pointer to slot <paramref name="slot"/>, bounds-checked against the mapped length.</summary>
    protected byte* SlotPointer(int slot)
    {
        // Every read and write goes through here, so a short or corrupt file can at worst give wrong answers,
        // never an access violation.
        if ((uint)slot >= (uint)_mappedSlots || _base is null)
            throw new InvalidOperationException($"Slot {slot} is outside index '{_path}' ({_mappedSlots} slots mapped).");
        return _base + (long)slot * EntrySize;
    }

    /// <summary>Counts one appended entry; the caller has written the slot under <see cref="Sync"/>.</summary>
    protected void IncrementEntries()
    {
        _entries++;
        _dirty = true;
    }

    /// <summary>
    /// Makes slot <paramref name="slot"/> writable before an append stores into it, growing the file when needed.
    /// Returns false, leaving the index full, when the disk refuses the growth: the entry is skipped and the index stays
    /// sparser (an index is a hint). The append path reserved the room earlier with <see cref="EnsureRoom"/>, where a
    /// full disk fails the append instead. The caller holds <see cref="Sync"/>.
    /// </summary>
    protected bool TryMakeRoomFor(int slot) => slot < _mappedSlots || Grow(slot + 1, strict: false);



    /// <summary>Throws when the index was closed.</summary>
    protected void ThrowIfClosed() => ObjectDisposedException.ThrowIf(_closed, this);

    /// <summary>Throws when the index is mapped read-only.</summary>
    protected void ThrowIfReadOnly()
    {
        if (!_writable)
            throw new InvalidOperationException($"Index '{_path}' is read-only.");
    }

    // Binary search for the largest lower bound in [lo, hi], given key(lo) <= target.
    private int Search(int lo, int hi, long target, bool searchValue)
    {
        while (lo < hi)
        {
            int mid = lo + ((hi - lo + 1) >> 1);
            if (ReadSearchKey(mid, searchValue) <= target)
                lo = mid;
            else
                hi = mid - 1;
        }
        return lo;
    }
}
