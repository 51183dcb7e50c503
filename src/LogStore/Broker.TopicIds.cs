using System.Diagnostics.CodeAnalysis;
using LogStore.Diagnostics;
using LogStore.Storage;

namespace LogStore;

public sealed partial class Broker
{
    // The topics by id, built from the topic table it was built for: rebuilt on the first lookup after the table is
    // replaced (every topic change replaces it whole), so no change has to remember to update it.
    private volatile TopicsById? _topicsById;

    private sealed record TopicsById(Dictionary<string, Topic> Source, Dictionary<Guid, Topic> ById);

    /// <summary>Looks a topic up by its <see cref="Topic.TopicId"/>; false for an unknown id and for the zero id.</summary>
    internal bool TryGetTopic(Guid topicId, [NotNullWhen(true)] out Topic? topic)
    {
        topic = null;
        if (topicId == Guid.Empty)
            return false;
        FollowTopics();
        Dictionary<string, Topic> current = _topics;
        TopicsById? index = _topicsById;
        if (index is null || !ReferenceEquals(index.Source, current))
        {
            var byId = new Dictionary<Guid, Topic>(current.Count);
            foreach (Topic t in current.Values)
            {
                if (t.TopicId != Guid.Empty)
                    byId[t.TopicId] = t;
            }
            _topicsById = index = new TopicsById(current, byId);
        }
        return index.ById.TryGetValue(topicId, out topic);
    }

    /// <summary>
    /// The id of a topic whose partitions were just opened, from their <c>partition.metadata</c> files: the id the
    /// lowest-numbered partition holds; a new one for a topic none holds one of (a new topic, or a store older than topic
    /// ids; <paramref name="assignedTopicId"/> when the cluster's controller chose it), written to every partition without the file (nothing is written by a read-only broker, whose topic then has
    /// the zero id). A damaged file, or one that names another id than the topic's, is never replaced: with
    /// <paramref name="isolatePartitions"/> its partition stands offline (as one that cannot be opened does), otherwise
    /// the <see cref="StorageException"/> is thrown.
    /// </summary>
    private Guid ResolveTopicId(string name, Partition[] partitions, bool isolatePartitions, bool creating, Guid assignedTopicId)
    {
        var held = new Guid?[partitions.Length];
        Guid topicId = Guid.Empty;
        int holder = -1;
        for (int i = 0; i < partitions.Length; i++)
        {
            if (partitions[i].IsOffline)
                continue;
            try
            {
                held[i] = PartitionMetadataFile.Read(partitions[i].Log.Directory);
            }
            catch (StorageException e) when (isolatePartitions)
            {
                TakeOffline(partitions, i, e);
                continue;
            }
            if (held[i] is { } id && holder < 0)
                (topicId, holder) = (id, i);
        }
        for (int i = holder + 1; i < partitions.Length; i++)
        {
            if (held[i] is not { } id || id == topicId)
                continue;
            var e = new StorageException($"Partition {i} of topic '{name}' holds topic id {KafkaUuid.ToKafkaString(id)}, but partition " +
                $"{holder} holds {KafkaUuid.ToKafkaString(topicId)}: the directory belongs to another topic of the same name (one " +
                "deleted and created again?). Move it away, or restore its partition.metadata from partition " + holder + ".",
                PartitionMetadataFile.PathOf(partitions[i].Log.Directory));
            if (!isolatePartitions)
                throw e;
            TakeOffline(partitions, i, e);
        }
        if (_readOnly)
            return topicId;
        bool assigned = topicId == Guid.Empty;
        // A cluster node's topic is the controller's: one found without an id (its creation cut short by a crash) waits
        // for the controller's id (AdoptTopicIdAsync) instead of taking a new one that would never match it.
        if (assigned && !creating && assignedTopicId == Guid.Empty && _options.Replication is not null)
            return Guid.Empty;
        if (assigned)
            topicId = assignedTopicId != Guid.Empty ? assignedTopicId : KafkaUuid.NewTopicId();
        int written = WriteTopicIds(partitions, held, topicId, isolatePartitions);
        if (assigned && !creating)
            TopicLog.TopicIdAssigned(_logger, name, KafkaUuid.ToKafkaString(topicId), written);
        return topicId;
    }

    /// <summary>
    /// Writes <paramref name="topicId"/> to every online partition that holds no file yet; returns how many were written.
    /// Concurrently, as closing does: each write is two fsyncs (the file, its directory), one after the other they made
    /// creating 2,000 partitions 18 times slower (1.3 s to 23 s), while overlapping fsyncs commit together.
    /// </summary>
    /// <exception cref="StorageException">Without <paramref name="isolatePartitions"/>: the first write that failed.</exception>
    private int WriteTopicIds(Partition[] partitions, Guid?[] held, Guid topicId, bool isolatePartitions)
    {
        var missing = new List<int>();
        for (int i = 0; i < partitions.Length; i++)
        {
            if (!partitions[i].IsOffline && held[i] is null)
                missing.Add(i);
        }
        var failures = new StorageException?[partitions.Length];
        ForEachConcurrently(missing, i =>
        {
            try
            {
                PartitionMetadataFile.Write(_options.FileSystem, partitions[i].Log.Directory, topicId);
            }
            catch (StorageException e)
            {
                failures[i] = e;
            }
        });
        int written = 0;
        foreach (int i in missing)
        {
            if (failures[i] is not { } failure)
            {
                written++;
                continue;
            }
            if (!isolatePartitions)
                throw failure;
            // Opening must not fail on a full disk: the partition serves with the id in memory, written next time.
            TopicLog.TopicIdNotWritten(_logger, partitions[i].Id, partitions[i].Log.Directory, failure);
        }
        return written;
    }

    /// <summary>Closes an opened partition and puts an offline one with <paramref name="cause"/> in its place.</summary>
    private void TakeOffline(Partition[] partitions, int index, Exception cause)
    {
        Partition partition = partitions[index];
        try
        {
            partition.Log.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is LogStoreException or IOException or UnauthorizedAccessException)
        {
            // It goes offline anyway; the cause reported is why.
        }
        PartitionLog offline = PartitionLog.Offline(DataDirectory, partition.Id, partition.Log.Config, _fileCache, _options.TimeProvider, _logger, cause);
        TopicLog.PartitionOffline(_logger, partition.Id, offline.Directory, cause);
        partitions[index] = NewPartition(offline);
    }
}
