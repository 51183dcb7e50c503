using System.Net;
using LogStore.Diagnostics;
using LogStore.Network.Features;
using LogStore.Protocol;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace LogStore.Network.Server;

/// <summary>
/// The Kafka protocol as an ASP.NET Core <see cref="ConnectionHandler"/>: serves one connection of any transport (ours,
/// or Kestrel's) as a <see cref="KafkaChannel"/> until it closes, and logs why it closed. Nothing a peer sends escapes
/// as an exception: a malformed frame, an invalid request or a failing handler closes only that connection. The
/// transport's owner completes the pipes and disposes the connection after this returns. Thread-safe.
/// </summary>
internal sealed class KafkaConnectionHandler(
    IKafkaRequestHandler requestHandler, int socketRequestMaxBytes, TimeSpan connectionsMaxIdle, TimeProvider time, ILogger logger)
    : ConnectionHandler
{
    public KafkaConnectionHandler(IKafkaRequestHandler requestHandler, KafkaListenerOptions options, TimeProvider time, ILogger logger)
        : this(requestHandler, options.SocketRequestMaxBytes, options.ConnectionsMaxIdle, time, logger)
    {
        SaslMaxReceiveBytes = options.Sasl?.MaxReceiveSize;
    }

    /// <summary>The frame limit before SASL authentication (sasl.server.max.receive.size); null without SASL.</summary>
    internal int? SaslMaxReceiveBytes { get; }

    internal int SocketRequestMaxBytes => socketRequestMaxBytes;

    internal TimeSpan ConnectionsMaxIdle => connectionsMaxIdle;

    internal TimeProvider Time => time;

    internal ILogger Logger => logger;

    internal IKafkaRequestHandler RequestHandler => requestHandler;

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        EndPoint? peer = connection.RemoteEndPoint;
        bool encrypted = connection.Features.Get<ISslStreamFeature>() is not null || connection.Features.Get<ITlsHandshakeFeature>() is not null;
        var info = new KafkaConnectionInfo(connection.ConnectionId, peer, encrypted) { LocalEndPoint = connection.LocalEndPoint,
            PeerNodeId = connection.Features.Get<PeerNodeFeature>()?.NodeId,
            Closing = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? default };
        NetworkLog.ConnectionAccepted(logger, info.ConnectionId, peer);
        string reason;
        using var channel = new KafkaChannel(this, connection, info);
        try
        {
            reason = await channel.RunAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (connection.ConnectionClosed.IsCancellationRequested)
        {
            reason = "aborted";
        }
        catch (ConnectionAbortedException e)
        {
            reason = "connection lost: " + e.Message;
        }
        catch (ConnectionResetException)
        {
            reason = "reset by the peer";
        }
        catch (KafkaProtocolException e)
        {
            NetworkLog.InvalidRequest(logger, info.ConnectionId, peer, e);
            reason = "invalid request";
        }
        catch (Exception e)
        {
            // A bug of ours or an I/O failure mid-response: this connection's bytes can no longer be trusted.
            NetworkLog.RequestFailed(logger, info.ConnectionId, peer, e);
            reason = "failed: " + e.Message;
        }
        NetworkLog.ConnectionClosed(logger, info.ConnectionId, peer, reason);
    }
}
