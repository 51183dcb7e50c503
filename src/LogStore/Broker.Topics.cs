using LogStore.Diagnostics;
using LogStore.Storage;
using LogStore.Storage.Files;

namespace LogStore;

public sealed partial class Broker
{
    /// <summary>Creates a topic with <paramref name="config"/> (or <see cref="BrokerOptions.DefaultTopicConfig"/>); its
    /// configuration is persisted, so reopening the Broker finds it as it was.</summary>
    /// <exception cref="InvalidTopicException">The name breaks Kafka's rule, or names an internal topic.</exception>
    /// <exception cref="TopicExistsException">A topic of that name exists.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting of <paramref name="config"/> is out of range.</exception>
    /// <exception cref="StorageException">The disk failed; nothing of the topic is left behind, so a retry can succeed.</exception>
    public async ValueTask<Topic> CreateTopicAsync(string name, TopicConfig? config = null, CancellationToken cancellationToken = default)
    {
        ValidateUserTopic(name, "create");
        ThrowIfReadOnly("create a topic");
        config ??= _options.DefaultTopicConfig;
        config.Validate();
        ThrowIfDisposed();
        if (_cluster is { } cluster)
            return await CreateReplicatedTopicAsync(cluster, name, config, cancellationToken).ConfigureAwait(false);
        await _topicsGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            if (_topics.ContainsKey(name))
                throw new TopicExistsException(name);
            return CreateTopicLocked(name, config);
        }
        finally
        {
            _topicsGate.Release();
        }
    }

    /// <summary>Returns the topic called <paramref name="name"/>, creating it with <paramref name="config"/> when it
    /// does not exist. An existing topic keeps its own configuration.</summary>
    /// <exception cref="InvalidTopicException">The name breaks Kafka's rule, or names an internal topic.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting of <paramref name="config"/> is out of range.</exception>
    /// <exception cref="StorageException">The disk failed; nothing of the topic is left behind, so a retry can succeed.</exception>
    public async ValueTask<Topic> GetOrCreateTopicAsync(string name, TopicConfig? config = null, CancellationToken cancellationToken = default)
    {
        ValidateUserTopic(name, "create");
        return await GetOrCreateTopicCoreAsync(name, config, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The coordinator's way to its internal topic: created with <see cref="InternalTopics.CreationConfig"/>
    /// when missing (in a cluster through the controller, replicated on up to three nodes).</summary>
    internal ValueTask<Topic> GetOrCreateInternalTopicAsync(string name, CancellationToken cancellationToken = default) =>
        GetOrCreateTopicCoreAsync(name, InternalTopics.CreationConfig(name, _options.Replication?.Nodes.Count ?? 1), cancellationToken);

    private async ValueTask<Topic> GetOrCreateTopicCoreAsync(string name, TopicConfig? config, CancellationToken cancellationToken)
    {
        if (TryGetTopic(name, out Topic? existing))
            return existing;
        ThrowIfReadOnly("create a topic");
        config ??= _options.DefaultTopicConfig;
        config.Validate();
        ThrowIfDisposed();
        if (_cluster is { } cluster)
        {
            try
            {
                return await CreateReplicatedTopicAsync(cluster, name, config, cancellationToken).ConfigureAwait(false);
            }
            catch (TopicExistsException)
            {
                // Created meanwhile, by this node or another: wait until this node holds it.
                await cluster.Publisher.WaitForAsync(image => image.Topics.ContainsKey(name), cancellationToken).ConfigureAwait(false);
                return TryGetTopic(name, out existing) ? existing : throw new UnknownTopicException(name);
            }
        }
        await _topicsGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            return _topics.TryGetValue(name, out existing) ? existing : CreateTopicLocked(name, config);
        }
        finally
        {
            _topicsGate.Release();
        }
    }

    /// <summary>Deletes a topic and all its data. Its partitions are closed first: readers and writers holding
    /// them get <see cref="ObjectDisposedException"/>.</summary>
    /// <exception cref="UnknownTopicException">No topic has that name.</exception>
    /// <exception cref="InvalidTopicException">The name breaks Kafka's rule, or names an internal topic
    /// (<c>__consumer_offsets</c> holds every group's committed offsets; Kafka refuses to delete it too).</exception>
    public async ValueTask DeleteTopicAsync(string name, CancellationToken cancellationToken = default)
    {
        ValidateUserTopic(name, "delete");
        ThrowIfDisposed();
        ThrowIfReadOnly("delete a topic");
        await _topicsGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            if (!_topics.TryGetValue(name, out Topic? topic))
                throw new UnknownTopicException(name);
            var remaining = new Dictionary<string, Topic>(_topics, StringComparer.Ordinal);
            remaining.Remove(name);
            _topics = remaining;

            // Kafka's order: close, rename each directory to "<dir>.<id>-delete" (atomic, so a crash never leaves a
            // half-deleted partition that looks live), drop the configuration, then remove the renamed directories.
            var renamed = new List<string>();
            foreach (Partition partition in topic.Partitions)
            {
                partition.Log.CloseAndDelete();
                // An offline partition's directory may never have been created.
                if (partition.IsOffline && !Directory.Exists(partition.Log.Directory))
                    continue;
                string target = Path.Combine(DataDirectory, LogFileNames.DeleteDirectoryName(partition.Id));
                Directory.Move(partition.Log.Directory, target);
                renamed.Add(target);
            }
            DurableFile.FsyncDirectory(_options.FileSystem, DataDirectory);
            _configs.Delete(name);
            foreach (string dir in renamed)
                DeleteDirectory(dir);
            LogStoreLog.TopicDeleted(_logger, name);
        }
        catch (IOException e)
        {
            throw new StorageException($"Cannot delete topic '{name}': {e.Message}", DataDirectory, e);
        }
        finally
        {
            _topicsGate.Release();
        }
    }

    /// <summary>Kafka's name rule, then the refusal of internal topics, which only LogStore itself creates and deletes.</summary>
    private static void ValidateUserTopic(string name, string action)
    {
        TopicName.Validate(name);
        if (InternalTopics.IsInternal(name))
            throw InvalidTopicException.ForInternalTopic(name, action);
    }

    /// <summary>
    /// Creates a topic all or nothing: its configuration is written first (so a crash part-way leaves a topic the next
    /// open finishes, creating the missing partition directories), then each partition is created; when one fails (a
    /// full disk, too many open files) everything this call made is removed, directories before the configuration,
    /// and the failure is thrown, so that a retry starts from nothing.
    /// </summary>
    private Topic CreateTopicLocked(string name, TopicConfig config, Guid assignedTopicId = default)
    {
        // Leftover directories of an earlier topic of the same name would otherwise be adopted as its data; an empty
        // one is taken over (and removed again on failure: it held nothing).
        for (int i = 0; i < config.Partitions; i++)
        {
            string dir = PartitionDirectory(name, i);
            if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
                throw new StorageException($"Cannot create topic '{name}': partition directory {dir} already exists and is not empty.", dir);
        }
        Topic topic;
        try
        {
            _configs.Save(name, config);
            topic = OpenTopic(name, config, isolatePartitions: false, assignedTopicId);
        }
        catch (Exception e) when (e is LogStoreException or IOException or UnauthorizedAccessException)
        {
            RollBackCreate(name, config.Partitions, e);
            if (e is LogStoreException)
                throw;
            throw new StorageException($"Cannot create topic '{name}': {e.Message}", DataDirectory, e);
        }
        _topics = new Dictionary<string, Topic>(_topics, StringComparer.Ordinal) { [name] = topic };
        LogStoreLog.TopicCreated(_logger, name, config.Partitions);
        return topic;
    }

    /// <summary>
    /// Removes what a failed create made: the partition directories, then the configuration, so that a crash part-way
    /// leaves a configuration from which the next open recreates what is missing. The directory fsyncs are best
    /// effort (the disk that failed the create may fail them too: the removals still happened); a removal that fails
    /// is logged, and the next open finishes the topic from its configuration, or reports a partition offline.
    /// </summary>
    private void RollBackCreate(string name, int partitions, Exception cause)
    {
        int removed = 0;
        string path = DataDirectory;
        try
        {
            for (int i = 0; i < partitions; i++)
            {
                path = PartitionDirectory(name, i);
                if (Directory.Exists(path))
                {
                    Directory.Delete(path, recursive: true);
                    removed++;
                }
            }
            TryFsyncDirectory(DataDirectory);
            path = _configs.PathOf(name);
            if (File.Exists(path))
            {
                File.Delete(path);
                TryFsyncDirectory(Path.GetDirectoryName(path)!);
            }
            TopicLog.CreateRolledBack(_logger, name, removed, cause);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TopicLog.CreateRollbackFailed(_logger, name, path, e);
        }
    }

    private void TryFsyncDirectory(string directory)
    {
        try
        {
            _options.FileSystem.FsyncDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort, see RollBackCreate.
        }
    }

    private string PartitionDirectory(string topic, int partition) =>
        Path.Combine(DataDirectory, LogFileNames.PartitionDirectoryName(new TopicPartition(topic, partition)));

    private void RemoveDeletedDirectories(string directory)
    {
        foreach (string dir in Directory.EnumerateDirectories(directory, "*" + LogFileNames.DeleteDirSuffix))
        {
            if (DeleteDirectory(dir))
                LogStoreLog.LeftoverRemoved(_logger, dir);
        }
    }

    /// <summary>Deletes a deleted partition's directory, never through a link (see <see cref="StoreFile.DeleteDirectory"/>);
    /// returns false when links kept it.</summary>
    private bool DeleteDirectory(string dir)
    {
        List<string> links = StoreFile.DeleteDirectory(dir);
        foreach (string link in links)
            StorageLog.LinkLeftInPlace(_logger, link);
        return links.Count == 0;
    }
}
