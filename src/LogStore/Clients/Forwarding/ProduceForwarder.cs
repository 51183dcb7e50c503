using System.Net;
using LogStore.Cluster.Metadata;
using LogStore.Cluster.Node;
using LogStore.Network.Client;
using LogStore.Network.Transport;
using LogStore.Protocol;
using LogStore.Records;
using LogStore.Storage.Replication;

namespace LogStore.Clients.Forwarding;

/// <summary>
/// The network half of an in-process producer on a cluster node (Kafka's Sender sending ProduceRequests): each pass
/// sends every forwarded partition's head batch to the leader the last applied controller image names — one Produce
/// request per leader node, carrying one batch per partition, over <see cref="LeaderConnections"/> through
/// <see cref="ReplicationOptions.ConnectionFactory"/> — or appends it here when the image says this node leads now.
/// It records each attempt's result on its <see cref="ForwardedPartition"/>; what a result means for the producer's
/// sequences, and when to try again, is the sender's (Sender.Forwarding.cs). Batches carry the producer id, epoch and
/// sequence stamped at their build, so a leader recognises a batch sent again after a lost response.
/// </summary>
/// <remarks>Used by the sender task only, one pass at a time; a pass's requests to different nodes run together.</remarks>
internal sealed class ProduceForwarder : IAsyncDisposable
{
    /// <summary>Produce v9: the first flexible version, which every LogStore node serves.</summary>
    private const short ProduceVersion = 9;

    /// <summary>How much longer than the leader's own wait (the request's timeout) a response may take before the
    /// connection is given up: the leader answers REQUEST_TIMED_OUT itself first.</summary>
    private static readonly TimeSpan ResponseMargin = TimeSpan.FromSeconds(5);

    private readonly int _nodeId;
    private readonly BrokerMetadataPublisher _publisher;
    private readonly LeaderConnections _connections;
    private readonly short _acks;
    private readonly bool _acksAll;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeProvider _time;
    private readonly CancellationToken _closing;

    private ProduceForwarder(ClusterNodeServices cluster, ProducerOptions options, TimeProvider time, CancellationToken closing)
    {
        _closing = closing;
        _nodeId = cluster.NodeId;
        _publisher = cluster.Publisher;
        // acks=0 has no response, and the next batch of a partition waits for the one before: the leader's append is
        // the least a forwarded batch waits for.
        _acks = options.Acks == Acks.All ? (short)-1 : (short)1;
        _acksAll = options.Acks == Acks.All;
        _requestTimeout = options.RequestTimeout;
        DeliveryTimeout = options.DeliveryTimeout;
        _time = time;
        var endpoints = new Dictionary<int, EndPoint>();
        foreach (ClusterNode node in cluster.Options.Nodes)
            endpoints[node.NodeId] = node.Endpoint;
        _connections = new LeaderConnections(endpoints, cluster.Options.ConnectionFactory ?? new SocketConnectionFactory(),
            $"logstore-producer-{_nodeId}", _requestTimeout, time);
    }

    /// <summary>A forwarder for a producer of <paramref name="broker"/>; null on a single node, where every partition is led here.</summary>
    public static ProduceForwarder? For(Broker broker, ProducerOptions options) =>
        broker.ClusterServices is { } cluster ? new ProduceForwarder(cluster, options, broker.Options.TimeProvider, broker.Closing) : null;

    public TimeSpan DeliveryTimeout { get; }

    /// <summary>Whether the broker is closing: its cluster side has stopped, so no new image comes, and a batch that
    /// failed once is not sent again (the close would otherwise wait out the delivery timeout).</summary>
    public bool IsClosing => _closing.IsCancellationRequested;

    /// <summary>The image this node applied last: a pass's leaders are its leaders.</summary>
    public ClusterImage Image => _publisher.Applied;

    /// <summary>Sends or appends the head batch of each partition that has one, and records how each attempt ended.</summary>
    public async ValueTask SendAsync(List<ForwardedPartition> partitions)
    {
        Dictionary<int, List<ForwardedPartition>>? byNode = null;
        List<ForwardedPartition>? local = null;
        foreach (ForwardedPartition forwarded in partitions)
        {
            if (!forwarded.HasNext)
                continue;
            forwarded.Attempt = default;
            int? leader = forwarded.Partition.Partition.Leader;
            if (leader is not int node)
            {
                forwarded.Attempt = new ForwardAttempt(ForwardOutcome.Retry, new NotLeaderException(forwarded.Partition.Id, null), -1, null, Sent: false);
            }
            else if (node == _nodeId)
            {
                (local ??= []).Add(forwarded);
            }
            else
            {
                byNode ??= [];
                if (!byNode.TryGetValue(node, out List<ForwardedPartition>? group))
                    byNode[node] = group = [];
                group.Add(forwarded);
            }
        }

        Task[] requests = byNode is null ? [] : [.. byNode.Select(g => SendToNodeAsync(g.Key, g.Value))];
        foreach (ForwardedPartition forwarded in local ?? [])
            forwarded.Attempt = await AppendHereAsync(forwarded).ConfigureAwait(false);
        await Task.WhenAll(requests).ConfigureAwait(false);
    }

    /// <summary>Waits until an image newer than <paramref name="seen"/> is applied (a leader moved, maybe), at most
    /// <paramref name="backoff"/>.</summary>
    public async ValueTask WaitForNextImageAsync(ClusterImage seen, TimeSpan backoff)
    {
        Task next = _publisher.WaitForAsync(image => !ReferenceEquals(image, seen), CancellationToken.None);
        await next.WaitAsync(backoff, _time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>One Produce request to <paramref name="node"/> with each partition's head batch; never throws.</summary>
    private async Task SendToNodeAsync(int node, List<ForwardedPartition> group)
    {
        var request = new ProduceRequest { Acks = _acks, TimeoutMs = (int)Math.Min(int.MaxValue, _requestTimeout.TotalMilliseconds) };
        foreach (ForwardedPartition forwarded in group)
        {
            TopicPartition id = forwarded.Partition.Id;
            ProduceRequest.TopicData? topic = request.Topics.Find(t => t.Name == id.Topic);
            if (topic is null)
                request.Topics.Add(topic = new ProduceRequest.TopicData { Name = id.Topic });
            topic.Partitions.Add(new ProduceRequest.PartitionData
            {
                Index = id.Partition,
                Records = new System.Buffers.ReadOnlySequence<byte>(forwarded.HeadBuilt.Memory),
            });
        }

        ProduceResponse response;
        bool sent = false;
        try
        {
            KafkaClientConnection connection = await _connections.GetAsync(node).ConfigureAwait(false);
            sent = true;
            response = await connection.SendAsync<ProduceRequest, ProduceResponse>(request, ProduceVersion, _requestTimeout + ResponseMargin,
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Not connected: nothing reached the leader. Sent: the leader may have appended, and only its duplicate
            // check makes the next send safe.
            LogStoreException error = e as LogStoreException ?? new NetworkException($"Produce to node {node} failed: {e.Message}", e);
            foreach (ForwardedPartition forwarded in group)
                forwarded.Attempt = new ForwardAttempt(ForwardOutcome.Retry, error, -1, null, sent);
            return;
        }

        foreach (ForwardedPartition forwarded in group)
            forwarded.Attempt = Settle(forwarded, node, Find(response, forwarded.Partition.Id));
    }

    private ForwardAttempt Settle(ForwardedPartition forwarded, int node, ProduceResponse.PartitionResponse? result)
    {
        if (result is null)
        {
            return new ForwardAttempt(ForwardOutcome.Retry,
                new NetworkException($"Node {node} answered a Produce without partition {forwarded.Partition.Id}."), -1, null, Sent: true);
        }
        ForwardOutcome outcome = ProduceErrors.OutcomeOf(result.ErrorCode);
        DateTimeOffset? appendTime = result.LogAppendTimeMs >= 0 ? DateTimeOffset.FromUnixTimeMilliseconds(result.LogAppendTimeMs) : null;
        if (outcome == ForwardOutcome.Appended)
            return new ForwardAttempt(outcome, null, result.BaseOffset, appendTime, Sent: true);
        LogStoreException error = ProduceErrors.ToException(result.ErrorCode, result.ErrorMessage, forwarded.Partition, forwarded.HeadBuilt, node,
            result.BaseOffset, _requestTimeout);
        return new ForwardAttempt(outcome, error, result.BaseOffset, appendTime, Sent: true);
    }

    private static ProduceResponse.PartitionResponse? Find(ProduceResponse response, TopicPartition id)
    {
        foreach (ProduceResponse.TopicResponse topic in response.Topics)
        {
            if (topic.Name != id.Topic)
                continue;
            foreach (ProduceResponse.PartitionResponse partition in topic.Partitions)
            {
                if (partition.Index == id.Partition)
                    return partition;
            }
        }
        return null;
    }

    /// <summary>The leadership moved to this node while the batch was on its way: appended as the sender appends a
    /// local batch (the in-sync replicas checked first with acks=all, flushed when the topic asks, then waited for).</summary>
    private async ValueTask<ForwardAttempt> AppendHereAsync(ForwardedPartition forwarded)
    {
        ProducerPartition target = forwarded.Partition;
        PartitionReplica replica = target.Partition.Replica;
        RecordBatch built = forwarded.HeadBuilt;
        AppendResult appended = default;
        LogStoreException? refused;
        try
        {
            if (_acksAll && !replica.IsSole)
                replica.ThrowIfNotEnoughReplicas();
            replica.AppendAsLeader(new ReadOnlySpan<RecordBatch>(in built), default, new Span<AppendResult>(ref appended), out refused);
        }
        catch (NotLeaderException e)
        {
            // The image names this node before its replica has become the leader: the next pass finds it ready.
            return new ForwardAttempt(ForwardOutcome.Retry, e, -1, null, Sent: false);
        }
        catch (NotEnoughReplicasException e)
        {
            return new ForwardAttempt(ForwardOutcome.NotAppended, e, -1, null, Sent: false);
        }
        catch (Exception e)
        {
            // The log is closed or failed mid-write: whether the batch is in is unknown, so only a send the log
            // recognises as a duplicate may follow.
            return new ForwardAttempt(ForwardOutcome.Retry, ProduceException.Wrap(target.Id, e), -1, null, Sent: true);
        }
        if (refused is not null)
            return new ForwardAttempt(ForwardOutcome.NotAppended, refused, -1, null, Sent: false);
        try
        {
            if (_acksAll && target.Topic.FlushOnAck)
                await target.Partition.FlushAsync().ConfigureAwait(false);
            if (_acksAll)
                await replica.WaitForHighWatermarkAsync(appended.LastOffset + 1, _requestTimeout).ConfigureAwait(false);
        }
        catch (NotLeaderException e)
        {
            // The leadership moved again before the batch committed: the next leader has it or not, and recognises it.
            return new ForwardAttempt(ForwardOutcome.Retry, e, -1, null, Sent: true);
        }
        catch (Exception e)
        {
            return new ForwardAttempt(ForwardOutcome.AppendedButFailed, ProduceException.Wrap(target.Id, e), appended.BaseOffset, appended.LogAppendTime,
                Sent: true);
        }
        return new ForwardAttempt(ForwardOutcome.Appended, null, appended.BaseOffset, appended.LogAppendTime, Sent: true);
    }

    public ValueTask DisposeAsync() => _connections.DisposeAsync();
}
