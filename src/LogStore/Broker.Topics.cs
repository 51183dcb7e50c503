using LogStore.Diagnostics;
using LogStore.Storage;
using LogStore.Storage.Files;

namespace LogStore;

public sealed partial class Broker
{
    /// <summary>Creates a topic with <paramref name="config"/> (or <see cref="BrokerOptions.DefaultTopicConfig"/>); its
    /// configuration is persisted, so reopening the Broker finds it as it was.</summary>
    /// <exception cref="InvalidTopicException">The name breaks Kafka's rule.</exception>
    /// <exception cref="TopicExistsException">A topic of that name exists.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting of <paramref name="config"/> is out of range.</exception>
    public async ValueTask<Topic> CreateTopicAsync(string name, TopicConfig? config = null, CancellationToken cancellationToken = default)
    {
        TopicName.Validate(name);
        config ??= _options.DefaultTopicConfig;
        config.Validate();
        ThrowIfDisposed();
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
    /// <exception cref="InvalidTopicException">The name breaks Kafka's rule.</exception>
    public async ValueTask<Topic> GetOrCreateTopicAsync(string name, TopicConfig? config = null, CancellationToken cancellationToken = default)
    {
        TopicName.Validate(name);
        if (_topics.TryGetValue(name, out Topic? existing))
            return existing;
        config ??= _options.DefaultTopicConfig;
        config.Validate();
        ThrowIfDisposed();
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
    public async ValueTask DeleteTopicAsync(string name, CancellationToken cancellationToken = default)
    {
        TopicName.Validate(name);
        ThrowIfDisposed();
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

    private Topic CreateTopicLocked(string name, TopicConfig config)
    {
        // Leftover directories of an earlier topic of the same name would otherwise be adopted as its data.
        for (int i = 0; i < config.Partitions; i++)
        {
            string dir = Path.Combine(DataDirectory, LogFileNames.PartitionDirectoryName(new TopicPartition(name, i)));
            if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
                throw new StorageException($"Cannot create topic '{name}': partition directory {dir} already exists and is not empty.", dir);
        }
        _configs.Save(name, config);
        Topic topic = OpenTopic(name, config);
        _topics = new Dictionary<string, Topic>(_topics, StringComparer.Ordinal) { [name] = topic };
        LogStoreLog.TopicCreated(_logger, name, config.Partitions);
        return topic;
    }

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
