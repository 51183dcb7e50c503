using LogStore.Storage.Files;

namespace LogStore.Storage;

/// <summary>The steps of <see cref="PartitionLog.ReplaceSegments"/>, after each of which a test may stop it as a crash would.</summary>
internal enum SwapStep
{
    /// <summary>Every cleaned segment is written as <c>.cleaned</c> files and fsynced.</summary>
    CleanedWritten,
    /// <summary>One file went from <c>.cleaned</c> to <c>.swap</c>.</summary>
    FileRenamedToSwap,
    /// <summary>Every cleaned file is <c>.swap</c>: the commit point.</summary>
    AllSwap,
    /// <summary>One old segment's files were renamed to <c>.deleted</c>.</summary>
    OldSegmentRenamed,
    /// <summary>One file went from <c>.swap</c> to its final name.</summary>
    FileRenamedToFinal,
    /// <summary>Every file has its final name; the snapshot is not yet replaced.</summary>
    AllFinal,
}

/// <summary>What <see cref="PartitionLog.ReplaceSegments"/> did.</summary>
internal enum SwapOutcome
{
    /// <summary>The cleaned segments replaced the old ones.</summary>
    Swapped,
    /// <summary>Retention deleted an old segment meanwhile; the cleaned files were discarded.</summary>
    Abandoned,
    /// <summary>A test stopped the swap part-way, leaving the files as a crash there would.</summary>
    Stopped,
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
/// </remarks>
internal sealed partial class PartitionLog
{
    /// <summary>Swaps the cleaned segments starting at <paramref name="cleanedBaseOffsets"/> for <paramref name="oldSegments"/>.</summary>
    /// <param name="cleanedBaseOffsets">Base offsets of the cleaned segments, ascending; each one's <c>.cleaned</c> files exist.</param>
    /// <param name="oldSegments">The inactive segments they replace, ascending.</param>
    /// <param name="stopAfter">Test hook: returning true stops the swap after that step, as a crash would.</param>
    public SwapOutcome ReplaceSegments(IReadOnlyList<long> cleanedBaseOffsets, IReadOnlyList<LogSegment> oldSegments, Func<SwapStep, bool>? stopAfter)
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
            if (Stop(stopAfter, SwapStep.CleanedWritten))
                return SwapOutcome.Stopped;

            DurableFile.FsyncDirectory(_fileCache.Files, Directory);
            for (int i = cleanedBaseOffsets.Count - 1; i >= 0; i--)
            {
                foreach (string suffix in SegmentSuffixes)
                {
                    RenameSegmentFile(cleanedBaseOffsets[i], suffix, LogFileNames.CleanedSuffix, LogFileNames.SwapSuffix);
                    if (Stop(stopAfter, SwapStep.FileRenamedToSwap))
                        return SwapOutcome.Stopped;
                }
            }
            DurableFile.FsyncDirectory(_fileCache.Files, Directory);
            if (Stop(stopAfter, SwapStep.AllSwap))
                return SwapOutcome.Stopped;

            foreach (LogSegment old in oldSegments)
            {
                old.RenameFiles(LogFileNames.DeletedSuffix);
                if (Stop(stopAfter, SwapStep.OldSegmentRenamed))
                    return SwapOutcome.Stopped;
            }
            foreach (long baseOffset in cleanedBaseOffsets)
            {
                foreach (string suffix in SegmentSuffixes)
                {
                    RenameSegmentFile(baseOffset, suffix, LogFileNames.SwapSuffix, "");
                    if (Stop(stopAfter, SwapStep.FileRenamedToFinal))
                        return SwapOutcome.Stopped;
                }
            }
            DurableFile.FsyncDirectory(_fileCache.Files, Directory);
            if (Stop(stopAfter, SwapStep.AllFinal))
                return SwapOutcome.Stopped;

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

    private static bool Stop(Func<SwapStep, bool>? stopAfter, SwapStep step) => stopAfter is not null && stopAfter(step);

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
