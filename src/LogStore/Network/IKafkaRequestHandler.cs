using System.Buffers;
using LogStore.Protocol;

namespace LogStore.Network;

/// <summary>
/// What a connection hands each request frame to, one at a time and in order (Kafka mutes a channel while a request
/// of it is in flight): the frame without its size prefix, header included. Returns the response to send, or null when
/// none is due (Produce with acks=0). Throwing <see cref="KafkaProtocolException"/> closes the connection.
/// The request's bytes are the transport's buffers: valid until the returned task completes, never after.
/// </summary>
internal interface IKafkaRequestHandler
{
    ValueTask<ResponseFrame?> HandleAsync(ReadOnlySequence<byte> request, KafkaConnectionInfo connection, CancellationToken cancellationToken);
}

/// <summary>What a request handler may know of the connection a request came on.</summary>
/// <param name="ConnectionId">The transport's connection id, for logs.</param>
/// <param name="RemoteEndPoint">The peer, when the transport has one.</param>
/// <param name="IsEncrypted">True over TLS (Fetch then copies file regions instead of <c>sendfile</c>).</param>
internal sealed record KafkaConnectionInfo(string ConnectionId, System.Net.EndPoint? RemoteEndPoint, bool IsEncrypted)
{
    /// <summary>The address the client connected to (what Metadata tells it to connect to again), when known.</summary>
    public System.Net.EndPoint? LocalEndPoint { get; init; }

    /// <summary>Cancelled when the listener asks the connection to close (it stops): a parked long poll then answers with
    /// what it has rather than holding the shutdown for its max wait.</summary>
    public CancellationToken Closing { get; init; }

    /// <summary>The cluster node this connection's client certificate proved it to be (peer TLS); null otherwise.</summary>
    public int? PeerNodeId { get; init; }

    /// <summary>Set once SASL authentication succeeded on this connection: the principal's user name.</summary>
    public string? AuthenticatedUser { get; set; }

    /// <summary>When the SASL session ends (KIP-368, <see cref="KafkaListenerSaslOptions.ConnectionsMaxReauth"/>): from
    /// then on only a re-authentication is served; null when sessions do not expire.</summary>
    public DateTimeOffset? SessionExpiresAt { get; set; }

    /// <summary>The SASL exchange in progress, while the listener requires one and it has not succeeded, or while the
    /// client re-authenticates.</summary>
    internal Security.SaslServerAuthenticator? Sasl { get; set; }

    /// <summary>Set by a handler to close the connection once the response (if any) is sent: why, for the log.</summary>
    public string? CloseReason { get; set; }
}
