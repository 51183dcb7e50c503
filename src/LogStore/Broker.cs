using System.Diagnostics.CodeAnalysis;
using LogStore.Diagnostics;
using LogStore.Storage;
using LogStore.Storage.Checkpoints;
using LogStore.Storage.Files;
using LogStore.Storage.Indexing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LogStore;

/// <summary>
/// Owns one data directory, locked for its lifetime: its topics, their partitions, and the background work on
/// them (time-based flushing). Open it with <see cref="OpenAsync"/>, dispose it to flush and close cleanly; a Broker
/// that was not disposed (a crash, a kill) is recovered the next time it opens. Thread-safe.
/// </summary>
public sealed partial class Broker : IAsyncDisposable
{
    private readonly BrokerOptions _options;
    // Null for a read-only broker, which shares the directory with its writer.
    private readonly DataDirectoryLock? _lock;
    private readonly TopicConfigStore _configs;
    private readonly SegmentFileCache _fileCache;
    private readonly DataDirectoryCheckpoints _checkpoints;
    private readonly ILogger _logger;
    private readonly bool _hadCleanShutdown;
    private readonly SemaphoreSlim _topicsGate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    // Cancelled first in DisposeAsync, before the listener drains; never disposed, so Closing stays readable after.
    private readonly CancellationTokenSource _closing = new();
    private volatile Dictionary<string, Topic> _topics = new(StringComparer.Ordinal);
    private readonly Dictionary<Type, IAsyncDisposable> _services = [];
    private Task _flushScheduler = Task.CompletedTask;
    private int _disposed;

    private Broker(BrokerOptions options, DataDirectoryLock? directoryLock, bool hadCleanShutdown, bool readOnly = false)
    {
        _readOnly = readOnly;
        _options = options;
        _lock = directoryLock;
        _hadCleanShutdown = hadCleanShutdown;
        _configs = new TopicConfigStore(options.DataDirectory, options.FileSystem);
        _fileCache = new SegmentFileCache(options.MaxOpenSegmentFiles, options.FileSystem);
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("LogStore");
        _checkpoints = DataDirectoryCheckpoints.Load(options.FileSystem, options.DataDirectory, _logger, readOnly);
    }

    /// <summary>The data directory.</summary>
    public string DataDirectory => _options.DataDirectory;

    /// <summary>Every topic, in no particular order (read-only: as the writer's files show them now).</summary>
    public IReadOnlyCollection<Topic> Topics
    {
        get
        {
            FollowTopics();
            return _topics.Values;
        }
    }

    /// <summary>
    /// Opens (creating when missing) and locks the data directory, loads every topic, and recovers partitions whose
    /// last Broker did not close cleanly.
    /// </summary>
    /// <exception cref="StoreLockedException">Another Broker, in this process or another, holds the directory.</exception>
    /// <exception cref="KafkaListenerException"><see cref="BrokerOptions.KafkaListener"/>'s address cannot be bound (the
    /// store is closed again).</exception>
    /// <exception cref="StorageException">The directory cannot be used, or a topic configuration file in it is missing,
    /// invalid or contradicts the partition directories (the message names the file). A partition that cannot be opened
    /// does not fail the open: it stands offline (<see cref="Partition.IsOffline"/>, <see cref="PartitionOfflineException"/>
    /// on use, a log event and the <c>logstore.partitions.offline</c> metric) while the rest of the store serves.</exception>
    public static ValueTask<Broker> OpenAsync(BrokerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        string directory = Path.GetFullPath(options.DataDirectory);
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"Cannot create the data directory: {e.Message}", directory, e);
        }
        DataDirectoryLock directoryLock = DataDirectoryLock.Acquire(directory);
        Broker? broker = null;
        try
        {
            string marker = Path.Combine(directory, LogFileNames.CleanShutdownFile);
            // A link there is refused (a StorageException naming it): it must not pass for a clean shutdown.
            bool clean = StoreFile.Exists(marker);
            if (clean)
            {
                // From now on the directory is "in use": a crash must not look clean to the next open.
                File.Delete(marker);
                DurableFile.FsyncDirectory(options.FileSystem, directory);
            }
            broker = new Broker(options, directoryLock, clean);
            broker.LoadTopics(directory);
            broker._flushScheduler = broker.RunFlushSchedulerAsync();
            broker.StartRetention();
            if (options.KafkaListener is { } listener)
                return StartKafkaListenerAsync(broker, listener, cancellationToken);
            return ValueTask.FromResult(broker);
        }
        catch
        {
            if (broker is not null)
                broker.CloseAllPartitions(writeCleanMarker: false);
            directoryLock.Dispose();
            throw;
        }
    }

    private void LoadTopics(string directory)
    {
        if (!_readOnly)
            RemoveDeletedDirectories(directory);
        // Not yet shared: filled in place, so that a failure half-way closes what was opened.
        Dictionary<string, Topic> topics = _topics;
        foreach ((string name, TopicConfig stored) in _configs.LoadAll(_logger, removeLeftovers: !_readOnly))
        {
            if (topics.Count == 0 && !_hadCleanShutdown)
                LogStoreLog.UncleanShutdown(_logger, directory);
            TopicConfig config = stored;
            if (InternalTopics.IsInternal(name) && (config = InternalTopics.Enforce(stored)) != stored)
            {
                TopicLog.InternalTopicConfigOverridden(_logger, name, _configs.PathOf(name), stored.CleanupPolicy,
                    (long)(stored.RetentionTime?.TotalMilliseconds ?? -1), stored.RetentionBytes ?? -1);
            }
            topics[name] = OpenTopic(name, config, isolatePartitions: true);
        }
        // A writer beside a read-only open may be half-way through creating or deleting a topic.
        if (!_readOnly)
        {
            CheckPartitionDirectories(directory, topics);
            _checkpoints.Retain(topics.Values.SelectMany(t => t.Partitions).Select(p => p.Id).ToHashSet());
        }
    }

    /// <summary>
    /// Refuses to open over data no topic configuration covers: a partition directory whose topic has no
    /// configuration (the file was deleted or damaged), or one numbered past its topic's partition count (the count
    /// was lowered in the file). Either would make acknowledged records silently vanish from the store.
    /// </summary>
    private void CheckPartitionDirectories(string directory, Dictionary<string, Topic> topics)
    {
        foreach (string dir in Directory.EnumerateDirectories(directory))
        {
            if (!LogFileNames.TryParsePartitionDirectory(Path.GetFileName(dir), out TopicPartition tp))
                continue;
            // Only a directory holding a partition's files: a user's own folder that happens to be named like one
            // ("notes-1"), or an empty one a create left, is not ours to judge.
            if (!HoldsPartitionFiles(dir))
                continue;
            if (!topics.TryGetValue(tp.Topic, out Topic? topic))
            {
                throw new StorageException($"Partition directory '{Path.GetFileName(dir)}' has no topic configuration: restore " +
                    $"the configuration file, or delete the directory to drop its data.", _configs.PathOf(tp.Topic));
            }
            if (tp.Partition >= topic.Partitions.Count)
            {
                throw new StorageException($"Topic '{tp.Topic}' is configured with partitions={topic.Partitions.Count}, but partition " +
                    $"directory '{Path.GetFileName(dir)}' holds data of partition {tp.Partition} ({tp.Partition + 1} or more partitions): " +
                    "a partition count cannot be lowered. Restore the count in the configuration file, or delete the directory to drop its data.",
                    _configs.PathOf(tp.Topic));
            }
        }
    }

    private static bool HoldsPartitionFiles(string directory)
    {
        foreach (string file in Directory.EnumerateFiles(directory))
        {
            string name = Path.GetFileName(file);
            if (name is LogFileNames.PartitionCheckpointFile or Storage.Checkpoints.LeaderEpochCheckpointFile.FileName
                || LogFileNames.TryParseBaseOffset(name, LogFileNames.LogSuffix, out _))
                return true;
        }
        return false;
    }

    /// <summary>A partition of this broker: on a single node it leads; in a cluster it waits, neither leader nor
    /// follower, for the controller's image to say which.</summary>
    private Partition NewPartition(PartitionLog log) =>
        new(log, _options.Replication is null ? Storage.Replication.ReplicaRole.Leader : Storage.Replication.ReplicaRole.None);

    /// <summary>
    /// Opens every partition of a topic and gives the topic its id (<see cref="ResolveTopicId"/>). With
    /// <paramref name="isolatePartitions"/> (opening the Broker) a partition that fails to open is reported and stands
    /// offline while the others serve; without it (creating the topic) the first failure closes what was opened and is
    /// thrown.
    /// </summary>
    private Topic OpenTopic(string name, TopicConfig config, bool isolatePartitions, Guid assignedTopicId = default)
    {
        var partitions = new Partition[config.Partitions];
        Guid topicId;
        try
        {
            for (int i = 0; i < partitions.Length; i++)
            {
                var id = new TopicPartition(name, i);
                PartitionLog log;
                try
                {
                    log = _readOnly
                        ? PartitionLog.OpenReadOnly(DataDirectory, id, config, _fileCache, _options.TimeProvider, _logger, _checkpoints)
                        : PartitionLog.Open(DataDirectory, id, config, _fileCache, _options.TimeProvider, _logger, _hadCleanShutdown, _checkpoints);
                }
                catch (Exception e) when (isolatePartitions && e is LogStoreException or IOException or UnauthorizedAccessException)
                {
                    log = PartitionLog.Offline(DataDirectory, id, config, _fileCache, _options.TimeProvider, _logger, e);
                    TopicLog.PartitionOffline(_logger, id, log.Directory, e);
                }
                partitions[i] = NewPartition(log);
            }
            // The new partition directories' names, all with one fsync: records in them are acknowledged only after
            // their own directory's fsync, which is worth nothing while the directory itself can vanish.
            if (Array.Exists(partitions, p => p.Log.CreatedDirectory))
                DurableFile.FsyncDirectory(_options.FileSystem, DataDirectory);
            topicId = ResolveTopicId(name, partitions, isolatePartitions, creating: !isolatePartitions, assignedTopicId);
        }
        catch
        {
            foreach (Partition? p in partitions)
                p?.Log.CloseAndDelete();
            throw;
        }
        return new Topic(name, topicId, config, partitions);
    }

    /// <summary>fsyncs every partition: everything appended before the call survives a crash or power loss.</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ThrowIfReadOnly("flush");
        foreach (Topic topic in _topics.Values)
        {
            foreach (Partition partition in topic.Partitions)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // Through the group commit, which honours the token even when an fsync hangs.
                if (!partition.Log.IsClosed)
                    await partition.Log.FlushAndCheckpointAsync(partition.Log.LogEndOffset, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Flushes and closes every partition, marks the directory as cleanly closed, and releases its lock.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _closing.CancelAsync().ConfigureAwait(false);
        // First the cluster side (no heartbeat, no fetch, no image applied), then no request of a network client may
        // reach a closing partition.
        await StopClusterAsync().ConfigureAwait(false);
        await StopKafkaListenerAsync().ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _flushScheduler.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The scheduler stops by cancellation.
        }
        IAsyncDisposable[] services;
        lock (_services)
            services = [.. _services.Values];
        foreach (IAsyncDisposable service in services)
            await service.DisposeAsync().ConfigureAwait(false);
        try
        {
            CloseAllPartitions(writeCleanMarker: !_readOnly);
        }
        finally
        {
            _fileCache.EvictAll();
            _lock?.Dispose();
            _stopping.Dispose();
            _topicsGate.Dispose();
        }
    }

    /// <summary>
    /// Closes every partition. The clean-shutdown marker is written only when every partition was flushed, checkpointed
    /// and closed; otherwise the failures are logged and the next open recovers. Never throws: a close that a failing
    /// disk makes unclean is still a close.
    /// </summary>
    private void CloseAllPartitions(bool writeCleanMarker)
    {
        int failed = 0;
        var partitions = new List<Partition>();
        foreach (Topic topic in _topics.Values)
            partitions.AddRange(topic.Partitions);
        _checkpoints.ClosingAll = true;
        ForEachConcurrently(partitions, partition =>
        {
            try
            {
                partition.Log.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is LogStoreException or IOException or UnauthorizedAccessException)
            {
                Interlocked.Increment(ref failed);
                StorageLog.PartitionCloseFailed(_logger, partition.Id, e);
            }
        });
        // Every partition staged its final values: the data directory's checkpoint files, once, before the marker.
        _checkpoints.ClosingAll = false;
        try
        {
            _checkpoints.WriteThrough();
        }
        catch (StorageException e)
        {
            failed++;
            StorageLog.DataDirectoryCheckpointsFailed(_logger, DataDirectory, e);
        }
        if (failed > 0)
        {
            if (writeCleanMarker)
                StorageLog.UncleanClose(_logger, DataDirectory, failed);
            return;
        }
        // An offline partition opened after a crash was never recovered: a clean marker would let the next open skip it.
        if (writeCleanMarker && !_hadCleanShutdown && CountOfflinePartitions() is > 0 and int offline)
        {
            TopicLog.OfflineAtClose(_logger, DataDirectory, offline);
            return;
        }
        if (writeCleanMarker)
        {
            try
            {
                DurableFile.WriteAtomically(_options.FileSystem, Path.Combine(DataDirectory, LogFileNames.CleanShutdownFile), "");
            }
            catch (StorageException e)
            {
                StorageLog.CleanShutdownMarkerFailed(_logger, DataDirectory, e);
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> on every item with a few dedicated threads. For closing partitions: their fsyncs
    /// (of logs appended since the last flush, of changed indexes) overlap, and the file system commits overlapping
    /// fsyncs together (ext4 and XFS group their journal commits), so thousands of partitions close in a fraction of the
    /// time one by one takes (benchmarks/RESULTS.md, "Many partitions"). Dedicated threads, because the thread pool adds
    /// threads for blocking work only slowly. <paramref name="action"/> must not throw.
    /// </summary>
    private static void ForEachConcurrently<T>(List<T> items, Action<T> action)
    {
        const int MaxThreads = 16;
        int next = -1;
        void Work()
        {
            for (int i; (i = Interlocked.Increment(ref next)) < items.Count;)
                action(items[i]);
        }
        // One thread per 64 items: a handful of partitions closes on the caller's thread alone.
        var helpers = new Thread[Math.Min(MaxThreads, items.Count / 64)];
        for (int i = 0; i < helpers.Length; i++)
        {
            helpers[i] = new Thread(Work) { IsBackground = true, Name = "LogStore close" };
            helpers[i].Start();
        }
        Work();
        foreach (Thread helper in helpers)
            helper.Join();
    }

    private int CountOfflinePartitions()
    {
        int offline = 0;
        foreach (Topic topic in _topics.Values)
        {
            foreach (Partition partition in topic.Partitions)
                offline += partition.IsOffline ? 1 : 0;
        }
        return offline;
    }

    private async Task RunFlushSchedulerAsync()
    {
        using var timer = new PeriodicTimer(_options.FlushCheckInterval, _options.TimeProvider);
        long lastCheckpoints = _options.TimeProvider.GetTimestamp();
        while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
        {
            bool checkpoint = _options.TimeProvider.GetElapsedTime(lastCheckpoints) >= _options.RecoveryPointCheckpointInterval;
            if (checkpoint)
                lastCheckpoints = _options.TimeProvider.GetTimestamp();
            foreach (Topic topic in _topics.Values)
            {
                foreach (Partition partition in topic.Partitions)
                {
                    try
                    {
                        partition.Log.FlushIfIntervalElapsed();
                        if (checkpoint && !partition.IsOffline)
                            partition.Log.StageCheckpointIfStale();
                    }
                    catch (Exception e) when (e is LogStoreException or ObjectDisposedException)
                    {
                        LogStoreLog.BackgroundFlushFailed(_logger, partition.Id, e);
                    }
                }
            }
            // Kafka's scheduled checkpoint: the files once for every partition whose values changed.
            if (checkpoint && !_readOnly)
            {
                try
                {
                    _checkpoints.WriteThrough();
                }
                catch (StorageException e)
                {
                    StorageLog.DataDirectoryCheckpointsFailed(_logger, DataDirectory, e);
                }
            }
        }
    }

    /// <summary>
    /// The broker-wide instance of an internal service (a group coordinator, a retention manager…), created on first
    /// use. Services are disposed, in no set order, before the partitions close.
    /// </summary>
    internal T GetService<T>(Func<Broker, T> factory)
        where T : class, IAsyncDisposable
    {
        lock (_services)
        {
            ThrowIfDisposed();
            if (!_services.TryGetValue(typeof(T), out IAsyncDisposable? service))
            {
                service = factory(this);
                _services.Add(typeof(T), service);
            }
            return (T)service;
        }
    }

    /// <summary>The service of type <typeparamref name="T"/> when it was created, else null (nothing is created).</summary>
    internal T? TryGetService<T>()
        where T : class, IAsyncDisposable
    {
        lock (_services)
            return _services.TryGetValue(typeof(T), out IAsyncDisposable? service) ? (T)service : null;
    }

    internal BrokerOptions Options => _options;

    internal ILogger Logger => _logger;

    /// <summary>The broker's clock (<see cref="BrokerOptions.TimeProvider"/>).</summary>
    internal TimeProvider Time => _options.TimeProvider;

    /// <summary>Whether the store was last closed cleanly (a crash or a power cut leaves no marker; neither does a new
    /// directory). A cluster node that restarts unclean may lack records it had acknowledged as a follower.</summary>
    internal bool HadCleanShutdown => _hadCleanShutdown;

    /// <summary>Cancelled as soon as disposal starts, before the Kafka listener drains its requests: a request that
    /// waits on other clients (a SyncGroup waiting for partitions) stops waiting at once instead of holding the drain.</summary>
    internal CancellationToken Closing => _closing.Token;

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    /// <summary>Looks a partition up by topic name and number; false when either does not exist.</summary>
    internal bool TryGetPartition(string topic, int partition, [NotNullWhen(true)] out Partition? found)
    {
        found = TryGetTopic(topic, out Topic? t) && (uint)partition < (uint)t.Partitions.Count ? t.Partitions[partition] : null;
        return found is not null;
    }

    /// <summary>Looks a topic up by name.</summary>
    public bool TryGetTopic(string name, [NotNullWhen(true)] out Topic? topic)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_topics.TryGetValue(name, out topic))
            return true;
        FollowTopics();
        return _topics.TryGetValue(name, out topic);
    }
}
