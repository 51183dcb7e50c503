using LogStore.Clients.Groups;
using LogStore.Diagnostics;
using LogStore.Storage;
using LogStore.Storage.Files;

namespace LogStore;

public sealed partial class Broker
{
    /// <summary>
    /// Changes settings of a topic by their Kafka names (Kafka's IncrementalAlterConfigs): <c>retention.ms</c>,
    /// <c>cleanup.policy</c>, <c>segment.bytes</c>, <c>max.message.bytes</c>, ... with the values of a topic
    /// configuration file (durations in milliseconds; empty for "none" where a setting may have none, -1 too for
    /// retention.ms and retention.bytes as in Kafka); a null value puts the setting back to
    /// <see cref="BrokerOptions.DefaultTopicConfig"/>'s. The new configuration is written atomically, then applies to the
    /// running partitions from their next append, roll, retention check or cleaning (index sizes from the next roll);
    /// producers pick up the new <c>max.message.bytes</c> and flush policy on their next message.
    /// </summary>
    /// <returns>The topic, with its new <see cref="Topic.Config"/>.</returns>
    /// <exception cref="UnknownTopicException">No topic has that name.</exception>
    /// <exception cref="InvalidConfigurationException">A name is unknown or not alterable (<c>partitions</c>: use
    /// <see cref="CreatePartitionsAsync"/>), or a value does not parse or is out of range; nothing was changed.</exception>
    /// <exception cref="InvalidTopicException">The change would give an internal topic a delete policy or retention: it
    /// stays compacted forever.</exception>
    /// <exception cref="StorageException">The configuration could not be written; nothing was changed.</exception>
    /// <exception cref="StoreReadOnlyException">The broker was opened read-only.</exception>
    public async ValueTask<Topic> AlterTopicConfigAsync(string name, IReadOnlyDictionary<string, string?> changes,
        CancellationToken cancellationToken = default)
    {
        TopicName.Validate(name);
        ArgumentNullException.ThrowIfNull(changes);
        ThrowIfReadOnly("alter a topic's configuration");
        ThrowIfDisposed();
        await _topicsGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            if (!_topics.TryGetValue(name, out Topic? topic))
                throw new UnknownTopicException(name);
            TopicConfig altered = TopicConfigProperties.Alter(name, topic.Config, _options.DefaultTopicConfig, changes);
            if (topic.IsInternal && InternalTopics.Enforce(altered) != altered)
                throw InvalidTopicException.ForInternalTopic(name, "give a delete policy or retention to");
            SaveConfig(name, altered);

            topic.Config = altered;
            foreach (Partition partition in topic.Partitions)
                partition.Log.Config = altered;
            PublishTopicChange();
            TopicLog.ConfigAltered(_logger, name, string.Join(", ", changes.Select(c => $"{c.Key}={c.Value ?? "(default)"}")));
            return topic;
        }
        finally
        {
            _topicsGate.Release();
        }
    }

    /// <summary>
    /// Grows a topic to <paramref name="totalCount"/> partitions (Kafka's CreatePartitions), all or nothing: the
    /// configuration is written first (a crash part-way leaves a topic the next open finishes), then the new partitions
    /// are created; when one fails, what this call made is removed and the old count restored. Running producers spread
    /// over the new count from their next message (a key may now hash to another partition, as in Kafka), and consumer
    /// groups subscribed to the topic rebalance so that the new partitions get assigned.
    /// </summary>
    /// <returns>The topic, with its new <see cref="Topic.Partitions"/>.</returns>
    /// <exception cref="UnknownTopicException">No topic has that name.</exception>
    /// <exception cref="InvalidPartitionsException"><paramref name="totalCount"/> is not more than the current count, or
    /// more than <see cref="TopicConfig.MaxPartitions"/>.</exception>
    /// <exception cref="InvalidTopicException">The topic is internal: its partition count is fixed.</exception>
    /// <exception cref="StorageException">The disk failed; nothing of the new partitions is left behind.</exception>
    /// <exception cref="StoreReadOnlyException">The broker was opened read-only.</exception>
    public async ValueTask<Topic> CreatePartitionsAsync(string name, int totalCount, CancellationToken cancellationToken = default)
    {
        TopicName.Validate(name);
        ThrowIfReadOnly("add partitions");
        ThrowIfDisposed();
        Topic topic;
        await _topicsGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            if (!_topics.TryGetValue(name, out Topic? found))
                throw new UnknownTopicException(name);
            topic = found;
            if (topic.IsInternal)
                throw InvalidTopicException.ForInternalTopic(name, "add partitions to");
            int current = topic.Partitions.Count;
            if (totalCount <= current || totalCount > TopicConfig.MaxPartitions)
                throw new InvalidPartitionsException(name, current, totalCount);
            AddPartitionsLocked(topic, totalCount);
            PublishTopicChange();
            TopicLog.PartitionsCreated(_logger, name, current, totalCount);
        }
        finally
        {
            _topicsGate.Release();
        }

        // Outside the gate: a rebalance takes the groups' locks, which never wait for topic changes.
        TryGetService<GroupCoordinator>()?.OnPartitionsCreated(name);
        return topic;
    }

    /// <summary>Creates partitions <c>topic.Partitions.Count</c> to <paramref name="totalCount"/> - 1, config first; on
    /// failure removes them and restores the configuration (see <see cref="CreateTopicLocked"/> for the same order).</summary>
    private void AddPartitionsLocked(Topic topic, int totalCount)
    {
        string name = topic.Name;
        IReadOnlyList<Partition> existing = topic.Partitions;
        TopicConfig before = topic.Config;
        for (int i = existing.Count; i < totalCount; i++)
        {
            string dir = PartitionDirectory(name, i);
            if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
                throw new StorageException($"Cannot add partition {i} to topic '{name}': its directory {dir} already exists and is not empty.", dir);
        }

        TopicConfig grown = before.WithPartitions(totalCount);
        var added = new List<Partition>(totalCount - existing.Count);
        try
        {
            // Inside: a write whose rename happened but whose directory fsync failed is rolled back too.
            SaveConfig(name, grown);
            for (int i = existing.Count; i < totalCount; i++)
            {
                var log = PartitionLog.Open(DataDirectory, new TopicPartition(name, i), grown, _fileCache, _options.TimeProvider,
                    _logger, _hadCleanShutdown, _checkpoints);
                added.Add(NewPartition(log));
            }
            // The topic's id, as every partition of it holds (a read-only broker never gets here).
            WriteTopicIds([.. added], new Guid?[added.Count], topic.TopicId, isolatePartitions: false);
            DurableFile.FsyncDirectory(_options.FileSystem, DataDirectory);
        }
        catch (Exception e) when (e is LogStoreException or IOException or UnauthorizedAccessException)
        {
            foreach (Partition partition in added)
                partition.Log.CloseAndDelete();
            RollBackPartitions(name, existing.Count, totalCount, before, e);
            if (e is LogStoreException)
                throw;
            throw new StorageException($"Cannot add partitions to topic '{name}': {e.Message}", DataDirectory, e);
        }

        foreach (Partition partition in existing)
            partition.Log.Config = grown;
        topic.Config = grown;
        topic.Partitions = [.. existing, .. added];
    }

    /// <summary>Removes the directories of a failed <see cref="CreatePartitionsAsync"/>, then writes the old configuration
    /// back. Best effort, as <see cref="RollBackCreate"/>: what cannot be undone is logged, and the next open finishes
    /// the partitions the written configuration names.</summary>
    private void RollBackPartitions(string name, int from, int to, TopicConfig before, Exception cause)
    {
        string path = DataDirectory;
        try
        {
            for (int i = from; i < to; i++)
            {
                path = PartitionDirectory(name, i);
                if (Directory.Exists(path))
                    Directory.Delete(path, recursive: true);
            }
            TryFsyncDirectory(DataDirectory);
            path = _configs.PathOf(name);
            _configs.Save(name, before);
            TopicLog.CreatePartitionsRolledBack(_logger, name, before.Partitions, cause);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or StorageException)
        {
            TopicLog.CreateRollbackFailed(_logger, name, path, e);
        }
    }

    /// <summary>Writes a topic's configuration (atomically, durably), an I/O failure as a <see cref="StorageException"/>.</summary>
    private void SaveConfig(string name, TopicConfig config)
    {
        try
        {
            _configs.Save(name, config);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"Cannot write the configuration of topic '{name}': {e.Message}", _configs.PathOf(name), e);
        }
    }

    /// <summary>A new topic table (the same topics): producers compare its identity to notice a changed topic.</summary>
    private void PublishTopicChange() => _topics = new Dictionary<string, Topic>(_topics, StringComparer.Ordinal);
}
