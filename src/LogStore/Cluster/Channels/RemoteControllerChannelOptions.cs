using System.Net;
using LogStore.Cluster.Controller;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Cluster.Channels;

/// <summary>
/// The settings of one node's <see cref="RemoteControllerChannel"/>. Validated by its constructor with
/// ArgumentException / ArgumentOutOfRangeException.
/// </summary>
internal sealed class RemoteControllerChannelOptions
{
    /// <summary>This node's id: the sender of registrations, heartbeats and ISR changes. Required.</summary>
    public required int NodeId { get; init; }

    /// <summary>Every node's Kafka listener, by node id: where controller requests are sent. Required.</summary>
    public required IReadOnlyDictionary<int, EndPoint> KafkaEndpoints { get; init; }

    /// <summary>Every controller's Raft address, by node id (Kafka's controller.quorum.voters): tells which node the
    /// active controller's address belongs to. Required.</summary>
    public required IReadOnlyDictionary<int, EndPoint> ControllerEndpoints { get; init; }

    /// <summary>Makes the connections to the nodes' Kafka listeners (TCP, TLS or in-memory). Required.</summary>
    public required IConnectionFactory ConnectionFactory { get; init; }

    /// <summary>This node's own controller, if it runs one: while it is active, commands run on it directly, without a
    /// round trip through the listener. Default none.</summary>
    public QuorumController? LocalController { get; init; }

    /// <summary>The active controller's Raft address as this node knows it, null when unknown (then every node is
    /// tried in turn). Default: <see cref="LocalController"/>'s <see cref="QuorumController.ActiveController"/>.</summary>
    public Func<EndPoint?>? ActiveController { get; init; }

    /// <summary>This node's copy of the cluster metadata: topic ids (AlterPartition v2+ names topics by id), replica
    /// lists (not in AlterPartition's response) and created topics' assignments. Default: <see cref="LocalController"/>.</summary>
    public IClusterMetadata? Metadata { get; init; }

    /// <summary>How long one request may wait for its response before the connection is dropped and the command
    /// retried. Default 5 s (Kafka's controller.quorum.request.timeout.ms is 2 s).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one command may take, retries included, within the caller's cancellation; then its last
    /// failure is thrown. Default 30 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The first wait before a retry, doubled at each retry (Kafka's retry.backoff.ms). Default 50 ms.</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest wait between retries (Kafka's retry.backoff.max.ms). Default 1 s.</summary>
    public TimeSpan MaxRetryBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The clock of timeouts and backoff. Default the system's.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(NodeId);
        ArgumentNullException.ThrowIfNull(KafkaEndpoints);
        ArgumentNullException.ThrowIfNull(ControllerEndpoints);
        ArgumentNullException.ThrowIfNull(ConnectionFactory);
        ArgumentNullException.ThrowIfNull(TimeProvider);
        if (KafkaEndpoints.Count == 0)
            throw new ArgumentException("At least one node's Kafka endpoint is needed.", nameof(KafkaEndpoints));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero, nameof(RequestTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Timeout, TimeSpan.Zero, nameof(Timeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RetryBackoff, TimeSpan.Zero, nameof(RetryBackoff));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRetryBackoff, RetryBackoff, nameof(MaxRetryBackoff));
    }
}
