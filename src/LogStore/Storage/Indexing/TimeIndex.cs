using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using LogStore.Storage.Files;

namespace LogStore.Storage.Indexing;

/// <summary>
/// A sparse map from timestamps to offsets in one segment (Kafka's <c>TimeIndex</c>), used to find the first
/// offset whose timestamp is at or after a target (ListOffsets by time, time-based retention).
/// </summary>
/// <remarks>
/// <para><b>File format</b> (<c>00000000000000000000.timeindex</c>): 12-byte big-endian entries, an int64
/// timestamp followed by an int32 offset relative to the segment's base offset. An entry (T, O) says that the
/// largest timestamp seen in the segment up to and including the batch ending at O is T, so every record with
/// a timestamp above T lies after O. Timestamps strictly increase, offsets never decrease.</para>
/// <para><b>Thread-safety:</b> one writer (the partition's append path), any number of concurrent readers, as
/// described on <see cref="IndexFile"/>.</para>
/// <para><b>After a crash:</b> the entry count is recovered from the zero-filled tail (see <see cref="IndexFile"/>);
/// entries past the durable end of the log are removed by <see cref="IndexFile.TruncateTo"/> during recovery, and an index
/// failing <see cref="SanityCheck"/> is deleted and rebuilt from the log.</para>
/// </remarks>
internal sealed unsafe class TimeIndex : IndexFile
{
    /// <summary>Bytes per entry: int64 timestamp, int32 relative offset.</summary>
    public const int Size = 12;

    /// <summary>The timestamp of "no entry" (Kafka's <c>RecordBatch.NO_TIMESTAMP</c>).</summary>
    public const long NoTimestamp = -1;

    private TimestampOffset _lastEntry;

    /// <summary>Opens a time index; see <see cref="IndexFile"/> for what <paramref name="writable"/> does.</summary>
    /// <exception cref="StorageException">The file could not be opened, created or mapped.</exception>
    /// <param name="path">The file.</param>
    /// <param name="baseOffset">The base offset of the segment.</param>
    /// <param name="maxIndexSize">The size a writable index may grow to.</param>
    /// <param name="writable">Open read-write.</param>
    /// <param name="files">The file system; null for the disk.</param>
    /// <param name="dirty">The file changed since it was last trimmed and fsynced (see <see cref="IndexFile"/>).</param>
    public TimeIndex(string path, long baseOffset, int maxIndexSize, bool writable, FileSystem? files = null, bool dirty = false)
        : base(path, baseOffset, maxIndexSize, writable, Size, files, dirty)
    {
        lock (Sync)
            OnEntriesChanged();
    }

    /// <summary>
    /// True when only the last slot is left. Kafka keeps that slot for the entry written when the segment rolls
    /// or closes (<c>skipFullCheck</c>), so the segment's largest timestamp is always indexed.
    /// </summary>
    public override bool IsFull => Entries >= MaxEntries - 1;

    /// <summary>The last entry, or (<see cref="NoTimestamp"/>, <see cref="IndexFile.BaseOffset"/>) when empty.</summary>
    public TimestampOffset LastEntry
    {
        get
        {
            lock (Sync)
                return _lastEntry;
        }
    }

    /// <summary>
    /// Appends (<paramref name="timestamp"/>, <paramref name="offset"/>) when <paramref name="timestamp"/> is
    /// above the last entry's; an equal timestamp is ignored because the roll and close paths re-offer the last
    /// entry.
    /// </summary>
    /// <param name="timestamp">The largest timestamp seen in the segment so far.</param>
    /// <param name="offset">The last offset of the batch holding that timestamp.</param>
    /// <param name="skipFullCheck">True on roll or close, to use the slot <see cref="IsFull"/> reserves.</param>
    /// <exception cref="InvalidOperationException">
    /// The index is full or read-only, the offset or timestamp goes backwards, or the offset does not fit in 32 bits
    /// relative to the base offset.
    /// </exception>
    public void MaybeAppend(long timestamp, long offset, bool skipFullCheck = false)
    {
        lock (Sync)
        {
            ThrowIfClosed();
            ThrowIfReadOnly();
            int entries = Entries;
            if ((!skipFullCheck && IsFull) || entries >= MaxEntries)
                ThrowFull(entries);
            if (entries > 0 && offset < _lastEntry.Offset)
                ThrowOffsetBackwards(offset, entries);
            if (entries > 0 && timestamp < _lastEntry.Timestamp)
                ThrowTimestampBackwards(timestamp, entries);
            // Only a new maximum is worth an entry; batches without timestamps (NoTimestamp) never add one.
            if (timestamp <= _lastEntry.Timestamp)
                return;
            if (!CanAppendOffset(offset))
                ThrowOverflow(offset);
            // A growth the disk refuses leaves the index full and this entry out: an index is a hint.
            if (!TryMakeRoomFor(entries))
                return;
            byte* slot = SlotPointer(entries);
            BinaryPrimitives.WriteInt64BigEndian(new Span<byte>(slot, 8), timestamp);
            BinaryPrimitives.WriteInt32BigEndian(new Span<byte>(slot + 8, 4), (int)(offset - BaseOffset));
            // The bytes are written before the count grows, so a reader never sees a half-written entry.
            IncrementEntries();
            _lastEntry = new TimestampOffset(timestamp, offset);
        }
    }

    /// <summary>
    /// The entry with the greatest timestamp ≤ <paramref name="targetTimestamp"/>, or
    /// (<see cref="NoTimestamp"/>, <see cref="IndexFile.BaseOffset"/>) when there is none; the first record at or
    /// after the target is found by reading the log from that entry's offset.
    /// </summary>
    public TimestampOffset Lookup(long targetTimestamp)
    {
        lock (Sync)
        {
            int slot = LargestLowerBoundSlot(targetTimestamp);
            return slot < 0 ? new TimestampOffset(NoTimestamp, BaseOffset) : Read(slot);
        }
    }

    /// <summary>The entry in slot <paramref name="n"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is not below <see cref="IndexFile.Entries"/>.</exception>
    public TimestampOffset Entry(int n)
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
    protected override bool OffsetIsSearchValue => true;

    /// <summary>
    /// Checks what can be checked without the log: the file holds whole entries, timestamps strictly increase,
    /// offsets never decrease and none is below the base offset. Reads every entry.
    /// </summary>
    /// <exception cref="CorruptIndexException">One of the checks failed; the index must be rebuilt.</exception>
    public override void SanityCheck()
    {
        lock (Sync)
        {
            ThrowIfClosed();
            if (FileLength % Size != 0)
                throw new CorruptIndexException($"Time index has {FileLength} bytes, which is not a multiple of {Size}.", Path);
            TimestampOffset previous = new(NoTimestamp, BaseOffset);
            for (int i = 0; i < Entries; i++)
            {
                TimestampOffset entry = Read(i);
                if (entry.Timestamp <= previous.Timestamp)
                {
                    throw new CorruptIndexException(
                        $"Time index entry {i} has timestamp {entry.Timestamp}, not above the previous timestamp {previous.Timestamp}.", Path);
                }
                if (entry.Offset < previous.Offset)
                {
                    throw new CorruptIndexException(
                        $"Time index entry {i} has offset {entry.Offset}, below the previous offset {previous.Offset} (base offset {BaseOffset}).", Path);
                }
                previous = entry;
            }
        }
    }

    /// <inheritdoc/>
    protected override long ReadSearchKey(int slot, bool value)
    {
        byte* p = SlotPointer(slot);
        return value
            ? BaseOffset + BinaryPrimitives.ReadInt32BigEndian(new ReadOnlySpan<byte>(p + 8, 4))
            : BinaryPrimitives.ReadInt64BigEndian(new ReadOnlySpan<byte>(p, 8));
    }

    /// <inheritdoc/>
    protected override void OnEntriesChanged() =>
        _lastEntry = Entries == 0 ? new TimestampOffset(NoTimestamp, BaseOffset) : Read(Entries - 1);

    private TimestampOffset Read(int slot)
    {
        byte* p = SlotPointer(slot);
        return new TimestampOffset(
            BinaryPrimitives.ReadInt64BigEndian(new ReadOnlySpan<byte>(p, 8)),
            BaseOffset + BinaryPrimitives.ReadInt32BigEndian(new ReadOnlySpan<byte>(p + 8, 4)));
    }

    [DoesNotReturn]
    private void ThrowFull(int entries) =>
        throw new InvalidOperationException($"Attempt to append to a full time index (size = {entries}) '{Path}'.");

    [DoesNotReturn]
    private void ThrowOffsetBackwards(long offset, int entries) =>
        throw new InvalidOperationException(
            $"Attempt to append an offset ({offset}) to slot {entries} no larger than the last offset appended ({_lastEntry.Offset}) to {Path}.");

    [DoesNotReturn]
    private void ThrowTimestampBackwards(long timestamp, int entries) =>
        throw new InvalidOperationException(
            $"Attempt to append a timestamp ({timestamp}) to slot {entries} no larger than the last timestamp appended ({_lastEntry.Timestamp}) to {Path}.");

    [DoesNotReturn]
    private void ThrowOverflow(long offset) =>
        throw new InvalidOperationException($"Integer overflow for offset: {offset} relative to base offset {BaseOffset} ({Path}).");
}

/// <summary>A time index entry: the largest timestamp seen so far and the last offset of the batch holding it.</summary>
/// <param name="Timestamp">The timestamp in milliseconds since the epoch, or <see cref="TimeIndex.NoTimestamp"/>.</param>
/// <param name="Offset">The absolute offset.</param>
internal readonly record struct TimestampOffset(long Timestamp, long Offset);
