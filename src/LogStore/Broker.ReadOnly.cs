using LogStore.Storage;

namespace LogStore;

public sealed partial class Broker
{
    private readonly bool _readOnly;

    /// <summary>True for a broker opened with <see cref="OpenReadOnlyAsync"/>.</summary>
    public bool IsReadOnly => _readOnly;

    /// <summary>
    /// Opens a data directory for reading only, beside the process that writes it (an application, while an operator
    /// looks at its topics): any number of read-only brokers may hold a directory, in this process or others. It takes
    /// no lock and never changes a file — nothing is recovered, cut, rebuilt or removed, not even a leftover. It shows
    /// each partition up to its last complete batch (a batch the writer is writing, or a torn tail, is not yet visible
    /// and is no error), and follows the writer: new and deleted topics, new segments (a roll), deleted ones (retention)
    /// and new batches are seen at the next read, and a long poll (<see cref="Partition.ReadAsync"/> with a wait) sees
    /// appends within a few tens of milliseconds. Committed offsets (<see cref="DescribeConsumerGroup"/>) are read anew at
    /// each call. Every write — produce, append, flush, topic creation or deletion, a consumer group (its commits) —
    /// throws <see cref="StoreReadOnlyException"/>; consumers with manually assigned partitions work.
    /// </summary>
    /// <exception cref="StorageException">The directory does not exist, or a topic configuration in it is invalid.</exception>
    public static ValueTask<Broker> OpenReadOnlyAsync(BrokerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        string directory = Path.GetFullPath(options.DataDirectory);
        if (!Directory.Exists(directory))
            throw new StorageException("The data directory does not exist: a read-only open creates nothing.", directory);
        var broker = new Broker(options, directoryLock: null, hadCleanShutdown: true, readOnly: true);
        try
        {
            broker.LoadTopics(directory);
            return ValueTask.FromResult(broker);
        }
        catch
        {
            broker.CloseAllPartitions(writeCleanMarker: false);
            throw;
        }
    }

    /// <exception cref="StoreReadOnlyException">The broker was opened read-only.</exception>
    internal void ThrowIfReadOnly(string what)
    {
        if (_readOnly)
        {
            throw new StoreReadOnlyException($"The store at '{DataDirectory}' was opened read-only and cannot {what}. " +
                "Open it with Broker.OpenAsync to write (one process at a time).", DataDirectory);
        }
    }

    /// <summary>
    /// A read-only broker's view of the topics the writer created or deleted since the last look (a no-op for a broker
    /// that writes: its topics change only through it). A topic whose configuration cannot be read yet (the writer is
    /// creating it) is left for the next look.
    /// </summary>
    private void FollowTopics()
    {
        if (!_readOnly || Volatile.Read(ref _disposed) != 0)
            return;
        HashSet<string> onDisk = _configs.ListTopics();
        Dictionary<string, Topic> current = _topics;
        if (onDisk.SetEquals(current.Keys))
            return;
        _topicsGate.Wait();
        try
        {
            var next = new Dictionary<string, Topic>(_topics, StringComparer.Ordinal);
            foreach ((string name, Topic topic) in _topics)
            {
                if (onDisk.Contains(name))
                    continue;
                next.Remove(name);
                foreach (Partition partition in topic.Partitions)
                    partition.Log.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            foreach (string name in onDisk)
            {
                if (next.ContainsKey(name))
                    continue;
                try
                {
                    next[name] = OpenTopic(name, _configs.Load(name), isolatePartitions: true);
                }
                catch (StorageException)
                {
                    // Not complete yet, or being deleted: the next look decides.
                }
            }
            _topics = next;
        }
        finally
        {
            _topicsGate.Release();
        }
    }
}
