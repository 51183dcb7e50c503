using LogStore.Storage.Files;

namespace LogStore.Storage;

/// <summary>What <see cref="PartitionLog.ReplaceSegments"/> did.</summary>
internal enum SwapOutcome
{
    /// <summary>The cleaned segments replaced the old ones.</summary>
    Swapped,
    /// <summary>Retention deleted an old segment meanwhile; the cleaned files were discarded.</summary>
    Abandoned,
}

/// <summary>
/// The cleaner's atomic swap (Kafka's LocalLog.replaceSegments): cleaned segments written as
/// <c>&lt;base&gt;.log.cleaned</c> (with <c>.index.cleaned</c>, <c>.timeindex.cleaned</c>) replace a run of old segments.
/// </summary>
/// <remarks>
/// <para>The order makes every crash recoverable to one whole set (see <see cref="LogLoader"/>): (1) the cleaned files
/// are fsynced; (2) they are renamed to <c>.swap</c> in descending offset order — until the last rename a <c>.cleaned</c>
/// file at or below every <c>.swap</c> one remains, and the loader discards them all, keeping the old set; once every
/// file is <c>.swap</c> the new set is committed; (3) the old segments' files are renamed to <c>.deleted</c>; (4) the
/// <c>.swap</c> files get their final names; (5) the new segments replace the old ones in the snapshot, and the old ones
/// are deleted when their readers let go. From step 2's end the loader completes the swap: it deletes the old segments
/// each <c>.swap</c> log covers and renames what is left of the swap.</para>
/// <para>Readers holding an old segment keep reading its renamed files; new readers see the new set.</para>
/// <para>Every step is a rename or a directory fsync through the store's <see cref="FileSystem"/>, so tests observe the
/// swap there (and image the directory between two steps, as a crash would leave it); nothing here knows of tests.</para>
/// </remarks>
internal sealed partial class PartitionLog
{
    /// <summary>Swaps the cleaned segments starting at <paramref name="cleanedBaseOffsets"/> for <paramref name="oldSegments"/>.</summary>
    /// <param name="cleanedBaseOffsets">Base offsets of the cleaned segments, ascending; each one's <c>.cleaned</c> files exist.</param>
    /// <param name="oldSegments">The inactive segments they replace, ascending.</param>
    public SwapOutcome ReplaceSegments(IReadOnlyList<long> cleanedBaseOffsets, IReadOnlyList<LogSegment> oldSegments)
    {
        lock (_cleanupLock)
        {
            ThrowIfClosed();
            LogSegment[] current = _segments.Snapshot;
            foreach (LogSegment old in oldSegments)
            {
                if (Array.IndexOf(current, old) < 0 || ReferenceEquals(old, current[^1]))
                {
                    foreach (long baseOffset in cleanedBaseOffsets)
                        DeleteSegmentFiles(baseOffset, LogFileNames.CleanedSuffix);
                    return SwapOutcome.Abandoned;
                }
            }
            DurableFile.FsyncDirectory(_fileCache.Files, Directory);
            for (int i = cleanedBaseOffsets.Count - 1; i >= 0; i--)
            {
                foreach (string suffix in SegmentSuffixes)
                    RenameSegmentFile(cleanedBaseOffsets[i], suffix, LogFileNames.CleanedSuffix, LogFileNames.SwapSuffix);
            }
            DurableFile.FsyncDirectory(_fileCache.Files, Directory);

            foreach (LogSegment old in oldSegments)
                old.RenameFiles(LogFileNames.DeletedSuffix);
            foreach (long baseOffset in cleanedBaseOffsets)
            {
                foreach (string suffix in SegmentSuffixes)
                    RenameSegmentFile(baseOffset, suffix, LogFileNames.SwapSuffix, "");
            }
            DurableFile.FsyncDirectory(_fileCache.Files, Directory);

            var fresh = new List<LogSegment>(cleanedBaseOffsets.Count);
            foreach (long baseOffset in cleanedBaseOffsets)
                fresh.Add(LogSegment.Open(Directory, baseOffset, Config, _fileCache, create: false, active: false));
            lock (_writeLock)
                _segments.Replace([.. oldSegments], fresh);
            foreach (LogSegment old in oldSegments)
                old.MarkDeleted();
            return SwapOutcome.Swapped;
        }
    }

    private static readonly string[] SegmentSuffixes = [LogFileNames.LogSuffix, LogFileNames.IndexSuffix, LogFileNames.TimeIndexSuffix];

    private void RenameSegmentFile(long baseOffset, string kind, string fromSuffix, string toSuffix)
    {
        string stem = Path.Combine(Directory, LogFileNames.FileNamePrefix(baseOffset) + kind);
        try
        {
            _fileCache.Files.Move(stem + fromSuffix, stem + toSuffix);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"Cannot rename a cleaned segment file: {e.Message}", stem + fromSuffix, e);
        }
    }

    /// <summary>Deletes the three files of segment <paramref name="baseOffset"/> carrying <paramref name="suffix"/>, if present.</summary>
    internal void DeleteSegmentFiles(long baseOffset, string suffix)
    {
        foreach (string kind in SegmentSuffixes)
        {
            string path = Path.Combine(Directory, LogFileNames.FileNamePrefix(baseOffset) + kind + suffix);
            try
            {
                StoreFile.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or StorageException)
            {
                // Best effort: the loader removes leftover .cleaned and .swap files.
            }
        }
    }
}
