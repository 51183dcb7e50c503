using LogStore.Cluster;
using LogStore.Cluster.Controller;
using LogStore.Cluster.Metadata;
using LogStore.Cluster.Node;
using LogStore.Diagnostics;
using LogStore.Network.Transport;
using LogStore.Storage;

namespace LogStore;

/// <summary>A Broker as one node of a replicated store (<see cref="BrokerOptions.Replication"/>): its controller voter,
/// its standing with the active controller, and the publisher that makes its replicas what the controller decided.</summary>
public sealed partial class Broker
{
    private ClusterNodeServices? _cluster;

    /// <summary>This node's Raft controller voter; null on a single node.</summary>
    internal QuorumController? Controller => _cluster?.Controller;

    /// <summary>The cluster side of this node; null on a single node.</summary>
    internal ClusterNodeServices? ClusterServices => _cluster;

    /// <summary>Starts the controller voter, registration and heartbeats, fetchers and the metadata publisher of an
    /// opened broker whose listener runs.</summary>
    private async ValueTask StartClusterAsync(ReplicationOptions options, CancellationToken cancellationToken)
    {
        _cluster = await ClusterNodeServices.StartAsync(this, options, cancellationToken).ConfigureAwait(false);
    }

    private ValueTask StopClusterAsync() => _cluster is { } cluster ? cluster.DisposeAsync() : ValueTask.CompletedTask;

    /// <summary>The local topic for the controller's <paramref name="registration"/>: created with the controller's id and
    /// settings when this node does not hold it yet.</summary>
    /// <exception cref="StorageException">The local topic of that name has another id (an older topic of the same name),
    /// or its settings cannot be read; or the disk failed.</exception>
    internal async ValueTask<Topic> GetOrCreateReplicatedTopicAsync(TopicRegistration registration, CancellationToken cancellationToken)
    {
        if (TryGetTopic(registration.Name, out Topic? existing))
            return existing.TopicId == Guid.Empty ? await AdoptTopicIdAsync(existing, registration, cancellationToken).ConfigureAwait(false)
                : CheckTopicId(existing, registration);
        TopicConfig config = TopicConfigProperties.FromProperties(registration.Configs,
            (name, reason) => new StorageException($"The controller's settings of topic '{registration.Name}' are invalid ({name}): {reason}.", DataDirectory));
        ThrowIfDisposed();
        await _topicsGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            return _topics.TryGetValue(registration.Name, out existing)
                ? CheckTopicId(existing, registration)
                : CreateTopicLocked(registration.Name, config, registration.TopicId);
        }
        finally
        {
            _topicsGate.Release();
        }
    }

    /// <summary>Writes the controller's id to the partitions of a topic opened without one, then takes it.</summary>
    private async ValueTask<Topic> AdoptTopicIdAsync(Topic topic, TopicRegistration registration, CancellationToken cancellationToken)
    {
        await _topicsGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (topic.TopicId == Guid.Empty)
            {
                Partition[] partitions = [.. topic.Partitions];
                int written = WriteTopicIds(partitions, new Guid?[partitions.Length], registration.TopicId, isolatePartitions: true);
                topic.AdoptTopicId(registration.TopicId);
                _topicsById = null;
                TopicLog.TopicIdAssigned(_logger, topic.Name, KafkaUuid.ToKafkaString(registration.TopicId), written);
            }
        }
        finally
        {
            _topicsGate.Release();
        }
        return CheckTopicId(topic, registration);
    }

    private static Topic CheckTopicId(Topic topic, TopicRegistration registration)
    {
        if (topic.TopicId != registration.TopicId)
        {
            throw new StorageException($"Topic '{topic.Name}' here has id {KafkaUuid.ToKafkaString(topic.TopicId)}, but the cluster's has " +
                $"{KafkaUuid.ToKafkaString(registration.TopicId)}: this node holds an older topic of the same name. Move its partition " +
                "directories away to let the node replicate the cluster's.", topic.Partitions.Count > 0 ? topic.Partitions[0].Log.Directory : "");
        }
        return topic;
    }

    /// <summary>Creates a topic through the active controller, then waits until this node holds it.</summary>
    private async ValueTask<Topic> CreateReplicatedTopicAsync(ClusterNodeServices cluster, string name, TopicConfig config, CancellationToken cancellationToken)
    {
        var settings = TopicConfigProperties.ToProperties(config).ToList();
        TopicRegistration created = await cluster.Channel.CreateTopicAsync(name, config.Partitions, config.ReplicationFactor,
            uncleanLeaderElection: false, settings, cancellationToken).ConfigureAwait(false);
        await cluster.Publisher.WaitForAsync(image => image.Topics.TryGetValue(name, out var t) && t.TopicId == created.TopicId, cancellationToken)
            .ConfigureAwait(false);
        return TryGetTopic(name, out Topic? topic) ? topic : throw new UnknownTopicException(name);
    }
}
