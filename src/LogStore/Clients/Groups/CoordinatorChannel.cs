using LogStore.Network.Client;
using LogStore.Protocol;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Clients.Groups;

/// <summary>
/// Group requests from this node to a group's coordinator on another node, over the Kafka protocol as a Kafka client
/// sends them: to the node this node's metadata names as leader of the group's <c>__consumer_offsets</c> partition,
/// asked again (after a growing backoff) while the answer is NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS or
/// COORDINATOR_NOT_AVAILABLE or the node cannot be reached, which is what a coordinator moving looks like. Every call
/// is bounded by its timeout. One short-lived connection per call. Thread-safe.
/// </summary>
internal sealed class CoordinatorChannel(Broker broker, GroupCoordinator coordinator)
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMilliseconds(500);

    /// <summary>The broker the requests leave from.</summary>
    public Broker Broker => broker;

    /// <summary>True for the errors that mean "ask the coordinator again, wherever it is now".</summary>
    public static bool IsCoordinatorError(ErrorCode error) =>
        error is ErrorCode.NotCoordinator or ErrorCode.CoordinatorLoadInProgress or ErrorCode.CoordinatorNotAvailable;

    /// <summary><see cref="SendAsync"/> for callers on a thread that may block (the consumer's calls are synchronous).</summary>
    public TResponse Send<TRequest, TResponse>(string group, TRequest request, short version, Func<TResponse, ErrorCode> errorOf,
        TimeSpan timeout, CancellationToken cancellationToken = default)
        where TRequest : IKafkaMessage<TRequest>
        where TResponse : IKafkaMessage<TResponse> =>
        SendAsync(group, request, version, errorOf, timeout, cancellationToken).AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// Sends <paramref name="request"/> to the coordinator of <paramref name="group"/> until its answer is not a
    /// coordinator error (<paramref name="errorOf"/> reads it), within <paramref name="timeout"/>.
    /// </summary>
    /// <exception cref="NotCoordinatorException">No coordinator answered within the timeout.</exception>
    /// <exception cref="NetworkException">The coordinator could not be reached within the timeout.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask<TResponse> SendAsync<TRequest, TResponse>(string group, TRequest request, short version,
        Func<TResponse, ErrorCode> errorOf, TimeSpan timeout, CancellationToken cancellationToken = default)
        where TRequest : IKafkaMessage<TRequest>
        where TResponse : IKafkaMessage<TResponse>
    {
        ReplicationOptions options = broker.Options.Replication!;
        TimeProvider time = broker.Options.TimeProvider;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(broker.Closing, cancellationToken);
        deadline.CancelAfter(timeout);
        int? coordinatorId = null;
        NetworkException? unreachable = null;
        TimeSpan backoff = FirstBackoff;
        try
        {
            while (true)
            {
                coordinator.StatusOf(group, out coordinatorId);
                if (coordinatorId is int id && FindNode(options, id) is { } node)
                {
                    try
                    {
                        IConnectionFactory factory = Cluster.Node.PeerTransport.Connections(broker, options);
                        await using KafkaClientConnection connection = await KafkaClientConnection.ConnectAsync(factory, node.Endpoint,
                            "logstore-node-" + options.NodeId, 1 << 20, time, deadline.Token).ConfigureAwait(false);
                        TResponse response = await connection.SendAsync<TRequest, TResponse>(request, version, RequestTimeout(options, timeout),
                            deadline.Token).ConfigureAwait(false);
                        if (!IsCoordinatorError(errorOf(response)))
                            return response;
                    }
                    catch (NetworkException e)
                    {
                        // The node stopped or the network failed: the metadata names its successor soon.
                        unreachable = e;
                    }
                }
                await Task.Delay(backoff, time, deadline.Token).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            if (unreachable is not null && coordinatorId is not null)
                throw new NetworkException($"The coordinator of group '{group}' (node {coordinatorId}) could not be reached within {timeout.TotalMilliseconds:0} ms: {unreachable.Message}", unreachable);
            throw new NotCoordinatorException(group, coordinatorId);
        }
    }

    private static ClusterNode? FindNode(ReplicationOptions options, int nodeId)
    {
        foreach (ClusterNode node in options.Nodes)
        {
            if (node.NodeId == nodeId)
                return node;
        }
        return null;
    }

    // A request never outlives the call; the configured timeout applies when the call allows more.
    private static TimeSpan RequestTimeout(ReplicationOptions options, TimeSpan timeout) =>
        options.RequestTimeout < timeout ? options.RequestTimeout : timeout;
}
