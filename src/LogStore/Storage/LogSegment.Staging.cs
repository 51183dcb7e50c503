namespace LogStore.Storage;

internal sealed partial class LogSegment
{
    private AppendState _beforeStaging;

    /// <summary>
    /// Stages a batch whose offsets the partition has assigned, to be written with the others of the same append call
    /// by <see cref="WriteStaged"/>. Its index entries are added now, so that <see cref="ShouldRoll"/> sees the segment
    /// as it will be; they point past the published size, where no read looks, until the write.
    /// </summary>
    /// <exception cref="StorageException">The disk is full and the batch's index entries have no room (see
    /// <see cref="ReserveIndexRoomIfDue"/>): nothing of this batch is staged, the batches staged before it stay.</exception>
    public void Stage(RecordBatch batch)
    {
        ReserveIndexRoomIfDue();
        if (Log.StagedCount == 0)
            _beforeStaging = new AppendState(_bytesSinceLastIndexEntry, _maxTimestampSoFar, _offsetOfMaxTimestampSoFar, _rollingBasedTimestamp);
        if (Volatile.Read(ref _maxTimestampSoFar) == Unknown)
            LoadLargestTimestamp();
        Track(batch, Log.Stage(batch.Memory));
    }

    /// <summary>Writes the staged batches, the first of which starts at <paramref name="firstStagedOffset"/>.</summary>
    /// <exception cref="StorageException">The write failed: the index entries and timestamps of the staged batches are
    /// taken back, so the segment is as before the staging and the same offsets can be appended again.</exception>
    public void WriteStaged(long firstStagedOffset)
    {
        if (Log.StagedCount == 0)
            return;
        try
        {
            Log.WriteStaged();
        }
        catch (StorageException)
        {
            AppendState before = _beforeStaging;
            _bytesSinceLastIndexEntry = before.BytesSinceLastIndexEntry;
            Volatile.Write(ref _maxTimestampSoFar, before.MaxTimestampSoFar);
            _offsetOfMaxTimestampSoFar = before.OffsetOfMaxTimestampSoFar;
            _rollingBasedTimestamp = before.RollingBasedTimestamp;
            OffsetIndex.TruncateTo(firstStagedOffset);
            TimeIndex.TruncateTo(firstStagedOffset);
            throw;
        }
    }

    /// <summary>What <see cref="Track"/> changes, kept to undo a staged run whose write failed.</summary>
    private readonly record struct AppendState(int BytesSinceLastIndexEntry, long MaxTimestampSoFar, long OffsetOfMaxTimestampSoFar, long RollingBasedTimestamp);
}
