using LogStore.Storage.Files;
using Microsoft.Extensions.Logging;

namespace LogStore.Storage.Producers;

/// <summary>
/// The producer-state snapshot files of one partition directory (Kafka's ProducerStateManager.snapshots): which offsets
/// have one, writing a new one, reading the newest usable one, and deleting those the log no longer needs — above its
/// end after recovery cut its tail (their state holds batches that are gone), below its start, and all but the newest
/// <see cref="Kept"/>.
/// </summary>
/// <remarks>
/// <para>Every file goes through the store's file layer: read without following a link (<see cref="StoreFile"/>),
/// written atomically (<see cref="DurableFile.WriteAtomically(FileSystem, string, ReadOnlySpan{byte}, bool, bool)"/>), and a
/// link under a snapshot's name is never deleted. A file that cannot be used (torn, wrong CRC) is logged, deleted and
/// passed over for the next older one: a snapshot only saves the replay of the log, it never decides what the log holds.</para>
/// <para>Thread-safety: one lock guards the set and the file operations; callers hold no other lock of this class.
/// After a crash: a snapshot is whole or absent (a temporary file, removed by the next load, is what a torn write leaves).</para>
/// </remarks>
internal sealed class ProducerSnapshots
{
    /// <summary>How many snapshots are kept: the newest, and one to fall back on when the newest cannot be read.</summary>
    public const int Kept = 2;

    private readonly Lock _lock = new();
    private readonly SortedSet<long> _offsets = [];
    private readonly string _directory;
    private readonly FileSystem _files;
    private readonly TopicPartition _partition;
    private readonly ILogger _logger;
    private bool _closed;

    /// <summary>The snapshots among <paramref name="names"/> (a listing of <paramref name="directory"/>).</summary>
    public ProducerSnapshots(string directory, IEnumerable<string> names, FileSystem files, TopicPartition partition, ILogger logger)
    {
        _directory = directory;
        _files = files;
        _partition = partition;
        _logger = logger;
        foreach (string name in names)
        {
            if (LogFileNames.TryParseBaseOffset(name, LogFileNames.ProducerSnapshotSuffix, out long offset))
                _offsets.Add(offset);
        }
    }

    /// <summary>The offsets that have a snapshot, ascending.</summary>
    public long[] Offsets
    {
        get
        {
            lock (_lock)
                return [.. _offsets];
        }
    }

    /// <summary>The newest snapshot's offset, or -1.</summary>
    public long Latest
    {
        get
        {
            lock (_lock)
                return _offsets.Count == 0 ? -1 : _offsets.Max;
        }
    }

    /// <summary>
    /// Restores the newest usable snapshot at or below <paramref name="atOrBelow"/> into <paramref name="state"/> and
    /// returns its offset, or -1 when there is none. Unusable ones are logged, deleted and passed over.
    /// </summary>
    public long LoadNewest(long atOrBelow, ProducerStateManager state)
    {
        lock (_lock)
        {
            while (_offsets.GetViewBetween(long.MinValue, atOrBelow) is { Count: > 0 } candidates)
            {
                long offset = candidates.Max;
                string path = LogFileNames.ProducerSnapshotFile(_directory, offset);
                string? problem;
                List<ProducerSnapshotEntry>? entries;
                try
                {
                    entries = ProducerSnapshotFile.Read(path, out problem);
                }
                catch (StorageException e)
                {
                    // A link or a special file under the name: never followed, never removed (the operator's call).
                    ProducerStateLog.SnapshotRefused(_logger, _partition, path, e.Message);
                    _offsets.Remove(offset);
                    continue;
                }
                if (entries is null)
                {
                    ProducerStateLog.SnapshotUnusable(_logger, _partition, path, problem!);
                    _offsets.Remove(offset);
                    TryDelete(offset);
                    continue;
                }
                foreach (ProducerSnapshotEntry entry in entries)
                    state.Restore(entry);
                return offset;
            }
            return -1;
        }
    }

    /// <summary>Writes the snapshot at <paramref name="offset"/> (replacing one already there) by a rename, then deletes
    /// those not kept. <paramref name="fsyncFile"/> and <paramref name="fsyncDirectory"/> as for
    /// <see cref="DurableFile.WriteAtomically(FileSystem, string, ReadOnlySpan{byte}, bool, bool)"/>: a roll writes without
    /// either, under the partition's write lock, and its background flush makes the snapshot durable
    /// (<see cref="Sync"/>). Writes nothing once <see cref="Close"/> has run.</summary>
    /// <exception cref="StorageException">It could not be written; the snapshots before stay as they were.</exception>
    public void Write(long offset, byte[] bytes, long logStartOffset, bool fsyncFile, bool fsyncDirectory)
    {
        lock (_lock)
        {
            if (_closed)
                return;
            DurableFile.WriteAtomically(_files, LogFileNames.ProducerSnapshotFile(_directory, offset), bytes, fsyncFile, fsyncDirectory);
            _offsets.Add(offset);
            RetainLocked(logStartOffset, long.MaxValue);
        }
    }

    /// <summary>fsyncs the snapshot at <paramref name="offset"/>, written earlier without it; nothing when it is gone
    /// (deleted as no longer kept) or the partition closed (its close wrote a newer one).</summary>
    /// <exception cref="StorageException">The fsync failed.</exception>
    public void Sync(long offset)
    {
        lock (_lock)
        {
            if (!_closed && _offsets.Contains(offset))
                DurableFile.Fsync(_files, LogFileNames.ProducerSnapshotFile(_directory, offset));
        }
    }

    /// <summary>Ends every change to the files: the partition is closed (or deleted), and a Broker opened on the same
    /// directory afterwards must not see a late write or deletion of this one.</summary>
    public void Close()
    {
        lock (_lock)
            _closed = true;
    }

    /// <summary>Deletes the snapshots above <paramref name="logEndOffset"/> (a cut tail), below
    /// <paramref name="logStartOffset"/>, and all but the newest <see cref="Kept"/>.</summary>
    public void Retain(long logStartOffset, long logEndOffset)
    {
        lock (_lock)
        {
            if (!_closed)
                RetainLocked(logStartOffset, logEndOffset);
        }
    }

    /// <summary>Deletes every snapshot: the log restarted empty (a full truncation), and none of them holds its state.</summary>
    public void DeleteAll() => Retain(long.MaxValue, -1);

    private void RetainLocked(long logStartOffset, long logEndOffset)
    {
        List<long>? doomed = null;
        int newer = 0;
        foreach (long offset in _offsets.Reverse())
        {
            bool kept = offset <= logEndOffset && offset >= logStartOffset && newer < Kept;
            if (offset <= logEndOffset)
                newer++;
            if (!kept)
                (doomed ??= []).Add(offset);
        }
        if (doomed is null)
            return;
        foreach (long offset in doomed)
        {
            _offsets.Remove(offset);
            TryDelete(offset);
        }
    }

    private void TryDelete(long offset)
    {
        string path = LogFileNames.ProducerSnapshotFile(_directory, offset);
        try
        {
            StoreFile.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or StorageException)
        {
            // Out of the set, it is never read again by this log, and the next open's listing deletes it when it is still
            // outside the log. A snapshot cut off by recovery that survives until the log grows past it again is only read
            // if the newer snapshots written meanwhile (at each roll and close) are all unusable.
            ProducerStateLog.SnapshotDeleteFailed(_logger, _partition, path, e);
        }
    }
}
