using LogStore.Storage.Checkpoints;

namespace LogStore.Storage.Epochs;

/// <summary>
/// A partition's leader epochs and the offset where each began (Kafka's <c>LeaderEpochFileCache</c>, KIP-101): what
/// OffsetForLeaderEpoch answers and what a follower will truncate by. Entries grow strictly in both epoch and start
/// offset. Backed by the partition's <c>leader-epoch-checkpoint</c>: changes mark the cache dirty and the owner writes
/// it with <see cref="WriteIfDirty"/> before it checkpoints a recovery point, so the file covers every epoch below
/// the checkpointed recovery point; what lies past it is rebuilt from the batch headers at the next open.
/// </summary>
/// <remarks>Thread-safety: every member takes the cache's lock; <see cref="LatestEpoch"/> is a volatile read for the
/// append path, which calls <see cref="Assign"/> only when the epoch changes.</remarks>
internal sealed class LeaderEpochFileCache
{
    /// <summary>Kafka's UNDEFINED_EPOCH.</summary>
    public const int UndefinedEpoch = -1;

    /// <summary>Kafka's UNDEFINED_EPOCH_OFFSET.</summary>
    public const long UndefinedEpochOffset = -1;

    private readonly Lock _lock = new();
    private readonly List<EpochEntry> _entries;
    private readonly CheckpointFile<EpochEntry>? _file;
    private volatile int _latestEpoch = UndefinedEpoch;
    private long _version;
    private long _writtenVersion;
    private bool _unsynced;

    /// <param name="file">Where <see cref="WriteIfDirty"/> writes; null for a read-only log.</param>
    /// <param name="entries">The entries read from the file or rebuilt; they are sanitised as <see cref="Assign"/> would.</param>
    /// <param name="dirty">True when <paramref name="entries"/> differ from the file (rebuilt, or the file was missing).</param>
    public LeaderEpochFileCache(CheckpointFile<EpochEntry>? file, IEnumerable<EpochEntry> entries, bool dirty)
    {
        _file = file;
        _entries = [];
        foreach (EpochEntry entry in entries)
            AssignLocked(entry.Epoch, entry.StartOffset);
        _latestEpoch = _entries.Count == 0 ? UndefinedEpoch : _entries[^1].Epoch;
        _version = dirty ? 1 : 0;
    }

    /// <summary>The epoch of the last entry, or <see cref="UndefinedEpoch"/>.</summary>
    public int LatestEpoch => _latestEpoch;

    /// <summary>True when the file lags the entries.</summary>
    public bool IsDirty
    {
        get
        {
            lock (_lock)
                return _version != _writtenVersion;
        }
    }

    /// <summary>A copy of the entries, oldest first.</summary>
    public EpochEntry[] Entries()
    {
        lock (_lock)
            return [.. _entries];
    }

    /// <summary>
    /// Records that <paramref name="epoch"/> begins at <paramref name="startOffset"/>. The latest epoch again changes
    /// nothing unless it starts earlier; any other epoch removes the entries of epochs at or above it and those starting
    /// at or after it, so both orders stay strictly increasing (Kafka's rule: the latest assignment wins).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative epoch or offset.</exception>
    public void Assign(int epoch, long startOffset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        ArgumentOutOfRangeException.ThrowIfNegative(startOffset);
        lock (_lock)
        {
            if (AssignLocked(epoch, startOffset))
                Changed();
        }
    }

    private bool AssignLocked(int epoch, long startOffset)
    {
        if (epoch < 0 || startOffset < 0)
            return false;
        if (_entries.Count > 0)
        {
            EpochEntry latest = _entries[^1];
            if (latest.Epoch == epoch && latest.StartOffset <= startOffset)
                return false;
        }
        int keep = _entries.Count;
        while (keep > 0 && (_entries[keep - 1].Epoch >= epoch || _entries[keep - 1].StartOffset >= startOffset))
            keep--;
        _entries.RemoveRange(keep, _entries.Count - keep);
        _entries.Add(new EpochEntry(epoch, startOffset));
        return true;
    }

    /// <summary>
    /// Kafka's <c>endOffsetFor</c>: for <paramref name="requestedEpoch"/>, the largest known epoch not above it and the
    /// offset where the next epoch began — <paramref name="logEndOffset"/> for the latest epoch. An epoch below the
    /// first known one gets itself and the first entry's start (the log before it is gone); an epoch above every known
    /// one, <see cref="UndefinedEpoch"/> requested, or an empty cache gets (<see cref="UndefinedEpoch"/>,
    /// <see cref="UndefinedEpochOffset"/>).
    /// </summary>
    public (int Epoch, long EndOffset) EndOffsetFor(int requestedEpoch, long logEndOffset)
    {
        lock (_lock)
        {
            if (requestedEpoch == UndefinedEpoch || _entries.Count == 0)
                return (UndefinedEpoch, UndefinedEpochOffset);
            if (requestedEpoch == _entries[^1].Epoch)
                return (requestedEpoch, logEndOffset);
            int higher = 0;
            while (higher < _entries.Count && _entries[higher].Epoch <= requestedEpoch)
                higher++;
            if (higher == _entries.Count)
                return (UndefinedEpoch, UndefinedEpochOffset);
            return higher == 0
                ? (requestedEpoch, _entries[0].StartOffset)
                : (_entries[higher - 1].Epoch, _entries[higher].StartOffset);
        }
    }

    /// <summary>Removes the entries that start at or after <paramref name="endOffset"/>: the log was cut there (a
    /// recovery cut, a follower's truncation). A negative offset (Kafka's undefined one) changes nothing.</summary>
    public void TruncateFromEnd(long endOffset)
    {
        if (endOffset < 0)
            return;
        lock (_lock)
        {
            int keep = _entries.Count;
            while (keep > 0 && _entries[keep - 1].StartOffset >= endOffset)
                keep--;
            if (keep == _entries.Count)
                return;
            _entries.RemoveRange(keep, _entries.Count - keep);
            Changed();
        }
    }

    /// <summary>The log now starts at <paramref name="startOffset"/> (retention, DeleteRecords): entries wholly before
    /// it go, and the epoch that holds it now starts there.</summary>
    public void TruncateFromStart(long startOffset)
    {
        lock (_lock)
        {
            int covering = -1;
            while (covering + 1 < _entries.Count && _entries[covering + 1].StartOffset <= startOffset)
                covering++;
            if (covering < 0 || (covering == 0 && _entries[0].StartOffset == startOffset))
                return;
            EpochEntry kept = _entries[covering] with { StartOffset = startOffset };
            _entries.RemoveRange(0, covering);
            _entries[0] = kept;
            Changed();
        }
    }

    /// <summary>
    /// Makes the checkpoint file durable and current: writes it when the entries changed since it was last written, or
    /// fsyncs what <see cref="WriteUnsynced"/> left. The owner calls it before it checkpoints a recovery point; callers
    /// serialise it.
    /// </summary>
    /// <exception cref="StorageException">The write or fsync failed; the next call retries.</exception>
    public void WriteIfDirty()
    {
        if (_file is null)
            return;
        EpochEntry[] entries;
        long version;
        lock (_lock)
        {
            if (_version == _writtenVersion)
            {
                if (!_unsynced)
                    return;
                entries = [];
                version = -1;
            }
            else
            {
                entries = [.. _entries];
                version = _version;
            }
        }
        if (version < 0)
        {
            _file.Sync();
            lock (_lock)
                _unsynced = false;
            return;
        }
        _file.Write(entries);
        lock (_lock)
        {
            _writtenVersion = Math.Max(_writtenVersion, version);
            _unsynced = false;
        }
    }

    /// <summary>
    /// Writes the file without fsync (Kafka's assign does the same): the append that starts an epoch must not wait
    /// for a disk flush, nor fail when the disk is full. <see cref="WriteIfDirty"/> makes it durable before the next
    /// recovery-point checkpoint; a power loss before that leaves an old or empty file, which the next open rebuilds.
    /// </summary>
    /// <returns>The failure, left for <see cref="WriteIfDirty"/> to retry; null when written.</returns>
    public StorageException? WriteUnsynced()
    {
        if (_file is null)
            return null;
        EpochEntry[] entries;
        long version;
        lock (_lock)
        {
            if (_version == _writtenVersion)
                return null;
            entries = [.. _entries];
            version = _version;
        }
        try
        {
            _file.WriteUnsynced(entries);
        }
        catch (StorageException e)
        {
            return e;
        }
        lock (_lock)
        {
            _writtenVersion = Math.Max(_writtenVersion, version);
            _unsynced = true;
        }
        return null;
    }

    private void Changed()
    {
        _version++;
        _latestEpoch = _entries.Count == 0 ? UndefinedEpoch : _entries[^1].Epoch;
    }
}
