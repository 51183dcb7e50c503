namespace LogStore.Storage;

/// <summary>
/// A follower's truncation of the segment holding the cut (Kafka's LogSegment.truncateTo): batches are whole, so the
/// log is cut at the start of the first batch that reaches the target offset. The partition (or the loader applying a
/// <see cref="TruncationMarker"/>) deletes the segments after it.
/// </summary>
internal sealed partial class LogSegment
{
    /// <summary>
    /// Where a cut at <paramref name="targetOffset"/> falls: the byte position of the first batch whose last offset is at
    /// or past it, and the offset the log then ends at — the target itself, or the start of that batch when the target
    /// falls inside it (a follower's fetched batches are whole, so only whole batches are kept). The segment's size and
    /// <paramref name="targetOffset"/> when no batch reaches it. Reads headers only.
    /// </summary>
    public (int Position, long EndOffset) FindTruncationPoint(long targetOffset)
    {
        int size = Log.SizeInBytes;
        int from = LookupIndex(targetOffset).Position;
        if (from > size)
            from = 0;
        using var scanner = new BatchScanner(Log, from, size, verifyCrc: false);
        while (scanner.MoveNext())
        {
            RecordBatch batch = scanner.Current;
            if (batch.LastOffset >= targetOffset)
                return (scanner.CurrentPosition, Math.Min(targetOffset, batch.BaseOffset));
        }
        // Damage or a torn tail ends the scan: the cut goes there, so that nothing unreadable stays past the log end.
        return (scanner.ValidBytesEnd, targetOffset);
    }

    /// <summary>
    /// Cuts the segment at <paramref name="position"/>, where the batch starting at <paramref name="endOffset"/> began:
    /// makes it the active segment (its indexes writable again), drops the index entries at or past the cut, shrinks the
    /// log and fsyncs it, so that the cut bytes never come back after a power loss. Returns the bytes cut.
    /// </summary>
    /// <exception cref="StorageException">The truncation or its fsync failed; the partition keeps its marker and refuses
    /// appends until a retry completes it.</exception>
    public int TruncateTo(int position, long endOffset)
    {
        MakeActive();
        OffsetIndex.TruncateTo(endOffset);
        TimeIndex.TruncateTo(endOffset);
        int cut = Math.Max(0, Log.SizeInBytes - position);
        if (cut > 0)
            Log.TruncateTo(position);
        Log.Flush();
        // What appends track starts again from what is left, as Kafka's truncateTo resets it.
        _bytesSinceLastIndexEntry = 0;
        if (Log.SizeInBytes == 0)
        {
            _rollingBasedTimestamp = Unknown;
            _createdMs = Unknown;
        }
        Volatile.Write(ref _maxTimestampSoFar, Unknown);
        LoadLargestTimestamp();
        return cut;
    }
}
