using LogStore.Network.Client;
using LogStore.Network.Transport;
using LogStore.Protocol;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Clients.Groups;

/// <summary>
/// The committed offsets of a group this node does not coordinate, reached over the Kafka protocol as a Kafka
/// consumer reaches them: OffsetFetch and OffsetCommit (generation -1, no member: a consumer that assigns its own
/// partitions) sent to the coordinator this node's metadata names, asked again while the answer is NOT_COORDINATOR,
/// COORDINATOR_LOAD_IN_PROGRESS or COORDINATOR_NOT_AVAILABLE (the coordinator moving), for at most
/// <see cref="OffsetStore.CommitTimeout"/>. One short-lived connection per call. Thread-safe.
/// </summary>
/// <remarks>Group membership (JoinGroup, SyncGroup, Heartbeat) is not reached this way yet: a subscribing consumer on a
/// node that does not coordinate its group gets <see cref="NotCoordinatorException"/>.</remarks>
internal sealed class RemoteOffsetClient(Broker broker, GroupCoordinator coordinator)
{
    private const short OffsetFetchVersion = 7, OffsetCommitVersion = 8;
    private static readonly TimeSpan RetryBackoff = TimeSpan.FromMilliseconds(50);

    /// <summary>The committed offset of <paramref name="partition"/>, or null.</summary>
    /// <exception cref="NotCoordinatorException">No coordinator answered within the timeout.</exception>
    /// <exception cref="NetworkException">The coordinator could not be reached.</exception>
    public long? Get(string group, TopicPartition partition)
    {
        var request = new OffsetFetchRequest
        {
            GroupId = group,
            Topics = [new OffsetFetchRequest.Topic { Name = partition.Topic, PartitionIndexes = [partition.Partition] }],
        };
        OffsetFetchResponse response = Send<OffsetFetchRequest, OffsetFetchResponse>(group, request, OffsetFetchVersion,
            r => r.ErrorCode != ErrorCode.None ? r.ErrorCode : r.Topics is [{ Partitions: [var p] }] ? p.ErrorCode : ErrorCode.None);
        long offset = response.Topics is [{ Partitions: [var only] }] ? only.CommittedOffset : -1;
        return offset >= 0 ? offset : null;
    }

    /// <summary>Commits <paramref name="offsets"/> (null offsets, which Kafka's OffsetCommit cannot carry, are refused).</summary>
    /// <exception cref="NotCoordinatorException">No coordinator answered within the timeout.</exception>
    /// <exception cref="NetworkException">The coordinator could not be reached.</exception>
    /// <exception cref="CommitFailedException">The coordinator refused the commit.</exception>
    public void Commit(string group, IReadOnlyList<(TopicPartition Partition, long? Offset)> offsets)
    {
        var request = new OffsetCommitRequest { GroupId = group };
        foreach ((TopicPartition tp, long? offset) in offsets)
        {
            if (offset is not long value)
                throw new ArgumentException($"Deleting the committed offset of {tp} is not possible through another node's coordinator.", nameof(offsets));
            OffsetCommitRequest.Topic? topic = request.Topics.Find(t => t.Name == tp.Topic);
            if (topic is null)
                request.Topics.Add(topic = new OffsetCommitRequest.Topic { Name = tp.Topic });
            topic.Partitions.Add(new OffsetCommitRequest.Partition { PartitionIndex = tp.Partition, CommittedOffset = value });
        }
        OffsetCommitResponse response = Send<OffsetCommitRequest, OffsetCommitResponse>(group, request, OffsetCommitVersion, FirstError);
        if (FirstError(response) is not ErrorCode.None and var error)
            throw new CommitFailedException(group, "(none)", -1, $"the coordinator answered {error}.");
    }

    private static ErrorCode FirstError(OffsetCommitResponse response)
    {
        foreach (OffsetCommitResponse.Topic topic in response.Topics)
        {
            foreach (OffsetCommitResponse.Partition partition in topic.Partitions)
            {
                if (partition.ErrorCode != ErrorCode.None)
                    return partition.ErrorCode;
            }
        }
        return ErrorCode.None;
    }

    /// <summary>Sends to the coordinator until its answer is not a coordinator error, within the timeout.</summary>
    private TResponse Send<TRequest, TResponse>(string group, TRequest request, short version, Func<TResponse, ErrorCode> errorOf)
        where TRequest : IKafkaMessage<TRequest>
        where TResponse : IKafkaMessage<TResponse> =>
        SendAsync(group, request, version, errorOf).AsTask().GetAwaiter().GetResult();

    private async ValueTask<TResponse> SendAsync<TRequest, TResponse>(string group, TRequest request, short version, Func<TResponse, ErrorCode> errorOf)
        where TRequest : IKafkaMessage<TRequest>
        where TResponse : IKafkaMessage<TResponse>
    {
        ReplicationOptions options = broker.Options.Replication!;
        TimeProvider time = broker.Options.TimeProvider;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(broker.Closing);
        deadline.CancelAfter(OffsetStore.CommitTimeout);
        int? coordinatorId = null;
        try
        {
            while (true)
            {
                coordinator.StatusOf(group, out coordinatorId);
                if (coordinatorId is int id && options.Nodes.FirstOrDefault(n => n.NodeId == id) is { } node)
                {
                    IConnectionFactory factory = Cluster.Node.PeerTransport.Connections(broker, options);
                    await using KafkaClientConnection connection = await KafkaClientConnection.ConnectAsync(factory, node.Endpoint,
                        "logstore-node-" + options.NodeId, 1 << 20, time, deadline.Token).ConfigureAwait(false);
                    TResponse response = await connection.SendAsync<TRequest, TResponse>(request, version, options.RequestTimeout, deadline.Token)
                        .ConfigureAwait(false);
                    if (errorOf(response) is not (ErrorCode.NotCoordinator or ErrorCode.CoordinatorLoadInProgress or ErrorCode.CoordinatorNotAvailable))
                        return response;
                }
                await Task.Delay(RetryBackoff, time, deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new NotCoordinatorException(group, coordinatorId);
        }
    }
}
