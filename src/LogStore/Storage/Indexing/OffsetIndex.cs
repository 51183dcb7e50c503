using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using LogStore.Storage.Files;

namespace LogStore.Storage.Indexing;

/// <summary>
/// A sparse map from offsets to byte positions in one segment's <c>.log</c> file (Kafka's <c>OffsetIndex</c>).
/// </summary>
/// <remarks>
/// <para><b>File format</b> (<c>00000000000000000000.index</c>): 8-byte big-endian entries, an int32 offset
/// relative to the segment's base offset followed by the int32 byte position of a batch; both strictly
/// increasing. An entry holds the <i>last</i> offset of the batch it points at, so a lookup for any offset
/// inside that batch must start at or before it. The segment adds an entry only after
/// <c>index.interval.bytes</c> have been written since the last one, so the batch at position 0 never gets
/// one and a lookup below the first entry starts at position 0.</para>
/// <para><b>Thread-safety:</b> one writer (the partition's append path), any number of concurrent readers,
/// as described on <see cref="IndexFile"/>.</para>
/// <para><b>After a crash:</b> the entry count is recovered from the zero-filled tail (see <see cref="IndexFile"/>);
/// entries past the durable end of the log are removed by <see cref="IndexFile.TruncateTo"/> during recovery, and an index
/// failing <see cref="SanityCheck"/> is deleted and rebuilt from the log. No checksum is kept: an index is a
/// hint, never the source of truth.</para>
/// </remarks>
internal sealed unsafe class OffsetIndex : IndexFile
{
    /// <summary>Bytes per entry: int32 relative offset, int32 position.</summary>
    public const int Size = 8;

    private long _lastOffset;
    private int _lastPosition;

    /// <summary>Opens an offset index; see <see cref="IndexFile"/> for what <paramref name="writable"/> does.</summary>
    /// <exception cref="StorageException">The file could not be opened, created or mapped.</exception>
    /// <param name="path">The file.</param>
    /// <param name="baseOffset">The base offset of the segment.</param>
    /// <param name="maxIndexSize">The size a writable index may grow to.</param>
    /// <param name="writable">Open read-write.</param>
    /// <param name="files">The file system; null for the disk.</param>
    /// <param name="dirty">The file changed since it was last trimmed and fsynced (see <see cref="IndexFile"/>).</param>
    public OffsetIndex(string path, long baseOffset, int maxIndexSize, bool writable, FileSystem? files = null, bool dirty = false)
        : base(path, baseOffset, maxIndexSize, writable, Size, files, dirty)
    {
        lock (Sync)
            OnEntriesChanged();
    }

    /// <summary>The absolute offset of the last entry, or <see cref="IndexFile.BaseOffset"/> when empty.</summary>
    public long LastOffset => Volatile.Read(ref _lastOffset);

    /// <summary>
    /// Appends an entry mapping <paramref name="offset"/> (the last offset of a batch) to the batch's
    /// <paramref name="position"/> in the log.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// The index is full or read-only, <paramref name="offset"/> is not above the last entry's offset (or the base
    /// offset), <paramref name="position"/> is below the last entry's position, or the offset does not fit
    /// in 32 bits relative to the base offset.
    /// </exception>
    public void Append(long offset, int position)
    {
        lock (Sync)
        {
            ThrowIfClosed();
            ThrowIfReadOnly();
            ArgumentOutOfRangeException.ThrowIfNegative(position);
            int entries = Entries;
            if (entries >= MaxEntries)
                ThrowFull(entries);
            // An entry at the base offset would be all zeros and read back as an unused slot after a restart,
            // so it is as invalid as an offset that goes backwards.
            if (offset <= _lastOffset || (entries > 0 && position < _lastPosition))
                ThrowOutOfOrder(offset, position, entries);
            if (!CanAppendOffset(offset))
                ThrowOverflow(offset);
            // A growth the disk refuses leaves the index full and this entry out: an index is a hint.
            if (!TryMakeRoomFor(entries))
                return;
            byte* slot = SlotPointer(entries);
            BinaryPrimitives.WriteInt32BigEndian(new Span<byte>(slot, 4), (int)(offset - BaseOffset));
            BinaryPrimitives.WriteInt32BigEndian(new Span<byte>(slot + 4, 4), position);
            // The bytes are written before the count grows, so a reader never sees a half-written entry.
            IncrementEntries();
            Volatile.Write(ref _lastOffset, offset);
            _lastPosition = position;
        }
    }

    /// <summary>
    /// The entry with the greatest offset ≤ <paramref name="targetOffset"/>, or
    /// (<see cref="IndexFile.BaseOffset"/>, 0) when there is none: reading the log from that position finds
    /// the target if the segment holds it.
    /// </summary>
    public OffsetPosition Lookup(long targetOffset)
    {
        lock (Sync)
        {
            int slot = LargestLowerBoundSlot(targetOffset);
            return slot < 0 ? new OffsetPosition(BaseOffset, 0) : Read(slot);
        }
    }

    /// <summary>
    /// <see cref="Lookup(long)"/>, plus the entry after the one found in <paramref name="next"/> and the one after that in
    /// <paramref name="afterNext"/> (each <see cref="OffsetPosition.None"/> when there is none). A read scanning from the
    /// first must land exactly on the second, which is how it knows that no batch length sent it past records; when every
    /// batch has an entry, the second and third bound the batch at the second, which a read can then take in one piece.
    /// </summary>
    public OffsetPosition Lookup(long targetOffset, out OffsetPosition next, out OffsetPosition afterNext)
    {
        lock (Sync)
        {
            int slot = LargestLowerBoundSlot(targetOffset);
            int entries = Entries;
            next = slot + 1 < entries ? Read(slot + 1) : OffsetPosition.None;
            afterNext = slot + 2 < entries ? Read(slot + 2) : OffsetPosition.None;
            return slot < 0 ? new OffsetPosition(BaseOffset, 0) : Read(slot);
        }
    }

    /// <summary>The entry in slot <paramref name="n"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is not below <see cref="IndexFile.Entries"/>.</exception>
    public OffsetPosition Entry(int n)
    {
        lock (Sync)
        {
            ThrowIfClosed();
            ArgumentOutOfRangeException.ThrowIfNegative(n);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(n, Entries);
            return Read(n);
        }
    }

    /// <inheritdoc/>
    protected override bool OffsetIsSearchValue => false;

    /// <summary>
    /// Checks what can be checked without the log: the file holds whole entries, offsets strictly increase and
    /// start above the base offset, positions never decrease. Reads every entry.
    /// </summary>
    /// <exception cref="CorruptIndexException">One of the checks failed; the index must be rebuilt.</exception>
    public override void SanityCheck()
    {
        lock (Sync)
        {
            ThrowIfClosed();
            if (FileLength % Size != 0)
                throw new CorruptIndexException($"Offset index has {FileLength} bytes, which is not a multiple of {Size}.", Path);
            long previousOffset = BaseOffset;
            int previousPosition = 0;
            for (int i = 0; i < Entries; i++)
            {
                OffsetPosition entry = Read(i);
                if (entry.Offset <= previousOffset)
                {
                    throw new CorruptIndexException(
                        $"Offset index entry {i} has offset {entry.Offset}, not above the previous offset {previousOffset} (base offset {BaseOffset}).", Path);
                }
                if (entry.Position < previousPosition)
                {
                    throw new CorruptIndexException(
                        $"Offset index entry {i} has position {entry.Position}, below the previous position {previousPosition}.", Path);
                }
                previousOffset = entry.Offset;
                previousPosition = entry.Position;
            }
        }
    }

    /// <inheritdoc/>
    protected override long ReadSearchKey(int slot, bool value)
    {
        byte* p = SlotPointer(slot);
        return value
            ? BinaryPrimitives.ReadInt32BigEndian(new ReadOnlySpan<byte>(p + 4, 4))
            : BaseOffset + BinaryPrimitives.ReadInt32BigEndian(new ReadOnlySpan<byte>(p, 4));
    }

    /// <inheritdoc/>
    protected override void OnEntriesChanged()
    {
        OffsetPosition last = Entries == 0 ? new OffsetPosition(BaseOffset, 0) : Read(Entries - 1);
        Volatile.Write(ref _lastOffset, last.Offset);
        _lastPosition = last.Position;
    }

    private OffsetPosition Read(int slot)
    {
        byte* p = SlotPointer(slot);
        return new OffsetPosition(
            BaseOffset + BinaryPrimitives.ReadInt32BigEndian(new ReadOnlySpan<byte>(p, 4)),
            BinaryPrimitives.ReadInt32BigEndian(new ReadOnlySpan<byte>(p + 4, 4)));
    }

    [DoesNotReturn]
    private void ThrowFull(int entries) =>
        throw new InvalidOperationException($"Attempt to append to a full index (size = {entries}) '{Path}'.");

    [DoesNotReturn]
    private void ThrowOutOfOrder(long offset, int position, int entries) =>
        throw new InvalidOperationException(
            $"Attempt to append an offset ({offset}) at position {position} to slot {entries} no larger than the last offset appended ({_lastOffset}, position {_lastPosition}) to {Path}.");

    [DoesNotReturn]
    private void ThrowOverflow(long offset) =>
        throw new InvalidOperationException($"Integer overflow for offset: {offset} relative to base offset {BaseOffset} ({Path}).");
}

/// <summary>An offset index entry: a batch's last offset and the batch's byte position in the log.</summary>
/// <param name="Offset">The absolute offset.</param>
/// <param name="Position">The byte position in the segment's log file.</param>
internal readonly record struct OffsetPosition(long Offset, int Position)
{
    /// <summary>No entry: past every position.</summary>
    public static OffsetPosition None => new(long.MaxValue, int.MaxValue);
}
