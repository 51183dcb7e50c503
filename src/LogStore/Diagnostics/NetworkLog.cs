using System.Net;
using Microsoft.Extensions.Logging;

namespace LogStore.Diagnostics;

/// <summary>
/// What the Kafka listener logs about connections (event ids 5001-5099): accepted, closed, refused (connection limit,
/// TLS, SASL), malformed frames and failed requests. Each names the connection id and the peer, so one client's story can be
/// followed; a peer's bad bytes are a warning, never an error of ours. The logger's category is <c>"LogStore"</c>.
/// </summary>
internal static partial class NetworkLog
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Kafka listener bound to {Endpoint}")]
    public static partial void ListenerStarted(ILogger logger, EndPoint endpoint);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Kafka listener on {Endpoint} stopped: {Drained} connection(s) drained, {Aborted} aborted at the deadline")]
    public static partial void ListenerStopped(ILogger logger, EndPoint endpoint, int drained, int aborted);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Debug, Message = "Connection {ConnectionId} from {Peer} accepted")]
    public static partial void ConnectionAccepted(ILogger logger, string connectionId, EndPoint? peer);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Debug, Message = "Connection {ConnectionId} from {Peer} closed: {Reason}")]
    public static partial void ConnectionClosed(ILogger logger, string connectionId, EndPoint? peer, string reason);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Warning, Message = "Connection {ConnectionId} from {Peer} refused: {Live} connections are open, the most max.connections allows")]
    public static partial void ConnectionRefusedLimit(ILogger logger, string connectionId, EndPoint? peer, int live);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning, Message = "Connection {ConnectionId} from {Peer} closed: malformed frame ({Reason})")]
    public static partial void MalformedFrame(ILogger logger, string connectionId, EndPoint? peer, string reason);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Warning, Message = "Connection {ConnectionId} from {Peer} closed: invalid request")]
    public static partial void InvalidRequest(ILogger logger, string connectionId, EndPoint? peer, Exception exception);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Error, Message = "Connection {ConnectionId} from {Peer} closed: handling a request failed")]
    public static partial void RequestFailed(ILogger logger, string connectionId, EndPoint? peer, Exception exception);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Information, Message = "Connection {ConnectionId} from {Peer} closed: idle for {IdleMs} ms (connections.max.idle.ms)")]
    public static partial void ConnectionIdle(ILogger logger, string connectionId, EndPoint? peer, long idleMs);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Warning, Message = "Connection {ConnectionId} from {Peer} refused: TLS handshake failed ({Reason})")]
    public static partial void TlsRefused(ILogger logger, string connectionId, EndPoint? peer, string reason, Exception? exception);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Error, Message = "The Kafka listener on {Endpoint} failed to accept a connection")]
    public static partial void AcceptFailed(ILogger logger, EndPoint endpoint, Exception exception);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Warning, Message = "Connection {ConnectionId} from {Peer} closed: Unexpected Kafka request of type {ApiKey} during {State}")]
    public static partial void SaslUnexpectedRequest(ILogger logger, string connectionId, EndPoint? peer, LogStore.Protocol.ApiKey apiKey, string state);

    [LoggerMessage(EventId = 5013, Level = LogLevel.Warning, Message = "Connection {ConnectionId} from {Peer} refused: SASL handshake failed ({Reason})")]
    public static partial void SaslMechanismRefused(ILogger logger, string connectionId, EndPoint? peer, string reason);

    [LoggerMessage(EventId = 5014, Level = LogLevel.Warning, Message = "Connection {ConnectionId} from {Peer} refused: SASL {Mechanism} authentication failed ({Reason})")]
    public static partial void SaslAuthenticationFailed(ILogger logger, string connectionId, EndPoint? peer, string mechanism, string reason);

    [LoggerMessage(EventId = 5015, Level = LogLevel.Debug, Message = "Connection {ConnectionId} from {Peer} authenticated as {User} with SASL {Mechanism}")]
    public static partial void SaslAuthenticated(ILogger logger, string connectionId, EndPoint? peer, string user, string mechanism);

    [LoggerMessage(EventId = 5016, Level = LogLevel.Debug, Message = "Connection {ConnectionId} from {Peer}: {ApiKey} v{Version} is not served; answered UNSUPPORTED_VERSION")]
    public static partial void UnsupportedApiAnswered(ILogger logger, string connectionId, EndPoint? peer, LogStore.Protocol.ApiKey apiKey, short version);

    [LoggerMessage(EventId = 5017, Level = LogLevel.Information, Message = "Connection {ConnectionId} from {Peer} closed: its SASL session expired (connections.max.reauth.ms) and it sent {ApiKey} instead of re-authenticating")]
    public static partial void SaslSessionExpired(ILogger logger, string connectionId, EndPoint? peer, LogStore.Protocol.ApiKey apiKey);

    [LoggerMessage(EventId = 5018, Level = LogLevel.Debug, Message = "Connection {ConnectionId} from {Peer} re-authenticated as {User} with SASL {Mechanism}; the session lasts {LifetimeMs} ms")]
    public static partial void SaslReauthenticated(ILogger logger, string connectionId, EndPoint? peer, string user, string mechanism, long lifetimeMs);

    [LoggerMessage(EventId = 5019, Level = LogLevel.Warning, Message = "Connection {ConnectionId} from {Peer}: {ApiKey} for node {ClaimedNode} refused with CLUSTER_AUTHORIZATION_FAILED: {Reason}")]
    public static partial void InterNodeRequestRefused(ILogger logger, string connectionId, EndPoint? peer, LogStore.Protocol.ApiKey apiKey, int claimedNode, string reason);

    [LoggerMessage(EventId = 5020, Level = LogLevel.Warning, Message = "Connection to node {NodeId} at {Endpoint} refused: {Reason}")]
    public static partial void PeerRefused(ILogger logger, int nodeId, EndPoint endpoint, string reason);
}
