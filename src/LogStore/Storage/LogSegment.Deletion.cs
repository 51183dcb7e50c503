namespace LogStore.Storage;

/// <summary>
/// Safe deletion of a segment that readers may still be using (Kafka's asynchronous segment deletion, with reference
/// counts in place of file.delete.delay.ms).
/// </summary>
/// <remarks>
/// <para>A reader takes a reference with <see cref="TryAcquire"/> before touching the segment's files and drops it with
/// <see cref="Release"/>. Deletion happens in three steps: the partition log removes the segment from its snapshot (no
/// new reader can find it), <see cref="MarkDeleted"/> renames its files to <c>.deleted</c> and refuses new references,
/// and the last reference to go deletes the files. A reader that already holds the segment keeps reading the renamed
/// files, so it never sees a half-deleted file, and the deletion never meets an open file.</para>
/// <para>Renames close what is idle first: the log's handle when no read is in flight, and the index mappings (a lookup
/// in flight finishes first), which reopen at the new path on their next use. That is what lets the same code run where
/// open or mapped files cannot be renamed (Windows: KAFKA-1194, KAFKA-6203); the log's handle is opened with
/// <see cref="FileShare.Delete"/>, which permits renaming it while a read is in flight.</para>
/// <para>After a crash: <c>.deleted</c> files are removed by <see cref="LogLoader"/>; a segment that was removed from the
/// snapshot but not yet renamed reappears, lies below the checkpointed log start offset, and is deleted again by the
/// next retention check.</para>
/// </remarks>
internal sealed partial class LogSegment
{
    // The sign bit marks the segment deleted; the other bits count the references held.
    private const int DeletedFlag = int.MinValue;

    private int _references;
    private int _renamedToDeleted;

    /// <summary>True once <see cref="MarkDeleted"/> ran: no new reference can be taken.</summary>
    public bool IsDeleted => (Volatile.Read(ref _references) & DeletedFlag) != 0;

    /// <summary>Takes a reference that keeps the segment's files until <see cref="Release"/>; false when the segment
    /// was deleted (the caller takes a fresh snapshot of the partition's segments).</summary>
    public bool TryAcquire()
    {
        int current = Volatile.Read(ref _references);
        while (true)
        {
            if ((current & DeletedFlag) != 0)
                return false;
            int seen = Interlocked.CompareExchange(ref _references, current + 1, current);
            if (seen == current)
                return true;
            current = seen;
        }
    }

    /// <summary>Drops a reference; the last one of a deleted segment deletes its files.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == DeletedFlag)
            DeleteFilesQuietly();
    }

    /// <summary>
    /// Renames the segment's three files to <paramref name="suffix"/> appended to their Kafka names (or back to the
    /// plain names when <paramref name="suffix"/> is empty), closing idle handles and mappings first.
    /// </summary>
    public void RenameFiles(string suffix)
    {
        string prefix = Path.Combine(Directory, LogFileNames.FileNamePrefix(BaseOffset));
        Log.RenameTo(prefix + LogFileNames.LogSuffix + suffix);
        OffsetIndex.RenameTo(prefix + LogFileNames.IndexSuffix + suffix);
        TimeIndex.RenameTo(prefix + LogFileNames.TimeIndexSuffix + suffix);
    }

    /// <summary>
    /// Deletes a segment that the partition log has already removed from its snapshot: renames its files to
    /// <c>.deleted</c> (unless already done), refuses new references, and deletes the files now when no reader holds
    /// it, or when the last one releases it. Safe to call more than once.
    /// </summary>
    public void MarkDeleted()
    {
        // The deleter holds a reference of its own while it renames, so that a reader releasing meanwhile cannot
        // delete files that are still being renamed.
        if (!TryAcquire())
            return;
        int before = Interlocked.Or(ref _references, DeletedFlag);
        try
        {
            if ((before & DeletedFlag) == 0 && Interlocked.Exchange(ref _renamedToDeleted, 1) == 0
                && !Log.FilePath.EndsWith(LogFileNames.DeletedSuffix, StringComparison.Ordinal))
            {
                RenameFiles(LogFileNames.DeletedSuffix);
            }
        }
        finally
        {
            Release();
        }
    }

    private void DeleteFilesQuietly()
    {
        if (_followed is not null)
        {
            // Another process's file: deleting it is that process's business.
            Close();
            return;
        }
        try
        {
            DeleteFiles();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or StorageException)
        {
            // Best effort: the files are named .deleted, and the next open removes them.
        }
    }
}
