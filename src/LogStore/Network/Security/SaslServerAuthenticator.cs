using LogStore.Diagnostics;
using LogStore.Network.Apis;
using LogStore.Protocol;
using Microsoft.Extensions.Logging;

namespace LogStore.Network.Security;

/// <summary>
/// One connection's SASL exchange (Kafka's SaslServerAuthenticator), from its first request until it has authenticated,
/// and again for each re-authentication (KIP-368). Before the handshake, ApiVersions (not when re-authenticating) and
/// SaslHandshake are served; after a v1 handshake only SaslAuthenticate, whose bytes go to the mechanism's
/// <see cref="ISaslServer"/>; after a v0 handshake, Kafka's legacy flow, the client's tokens come raw, framed by their
/// size only, and are answered so (<see cref="HandleRawToken"/>). Any other request closes the connection without an
/// answer; an unsupported mechanism and a failed authentication are answered with their error (nothing, in the raw
/// flow), then the connection closes; each refusal is logged. On success <see cref="KafkaConnectionInfo.AuthenticatedUser"/>
/// is set, with the session's expiry when <see cref="KafkaListenerSaslOptions.ConnectionsMaxReauth"/> is, and the router
/// serves everything. A re-authentication must name the same user. Lives on the connection
/// (<see cref="KafkaConnectionInfo.Sasl"/>); not thread-safe, as a connection's requests come one at a time.
/// </summary>
internal sealed partial class SaslServerAuthenticator(KafkaListenerSaslOptions options, ILogger logger, TimeProvider time, string? reauthenticating = null)
{
    private ISaslServer? _server;
    private SaslMechanism _mechanism;

    /// <summary>True after a SaslHandshake v0: the next frames are raw SASL tokens, not Kafka requests.</summary>
    public bool ExpectsRawToken { get; private set; }

    /// <summary>The response to a request on a connection not yet (re-)authenticated, or null (nothing sent) after
    /// setting <see cref="KafkaConnectionInfo.CloseReason"/>.</summary>
    public ResponseFrame? Handle(RequestHeader header, object? body, KafkaConnectionInfo connection)
    {
        switch (body)
        {
            case ApiVersionsRequest when _server is null && reauthenticating is null:
                return ResponseEncoder.Encode(header, ApiVersionsApi.Handle());
            case SaslHandshakeRequest handshake when _server is null:
                return Handshake(header, handshake, connection);
            case SaslAuthenticateRequest authenticate when _server is not null:
                return Authenticate(header, authenticate, connection);
            default:
                string state = (reauthenticating is null ? "" : "re-authentication: ") + (_server is null ? "SASL handshake" : "SASL authentication");
                NetworkLog.SaslUnexpectedRequest(logger, connection.ConnectionId, connection.RemoteEndPoint, header.ApiKey, state);
                connection.CloseReason = $"unexpected {header.ApiKey} request during {state}";
                return null;
        }
    }

    /// <summary>Answers a SaslHandshake when SASL is not configured or is already done: Kafka's ILLEGAL_SASL_STATE.</summary>
    public static ResponseFrame IllegalState(RequestHeader header, object? body) => body is SaslHandshakeRequest
        ? ResponseEncoder.Encode(header, new SaslHandshakeResponse { ErrorCode = ErrorCode.IllegalSaslState })
        : ResponseEncoder.Encode(header, new SaslAuthenticateResponse
        {
            ErrorCode = ErrorCode.IllegalSaslState,
            ErrorMessage = "SaslAuthenticate request received after successful authentication, or on a listener without SASL",
        });

    private ResponseFrame Handshake(RequestHeader header, SaslHandshakeRequest handshake, KafkaConnectionInfo connection)
    {
        var response = new SaslHandshakeResponse();
        foreach (SaslMechanism enabled in options.EnabledMechanisms)
            response.Mechanisms.Add(enabled.Name());
        SaslMechanism? mechanism = SaslMechanismNames.Parse(handshake.Mechanism);
        // A re-authentication needs v1: v0's raw tokens carry no session lifetime, so KIP-368 clients never use it.
        bool legacy = header.ApiVersion == 0;
        if (legacy && reauthenticating is not null || mechanism is not { } chosen || !options.EnabledMechanisms.Contains(chosen))
        {
            string why = mechanism is { } named && options.EnabledMechanisms.Contains(named)
                ? "a re-authentication must use SaslHandshake v1"
                : $"mechanism '{handshake.Mechanism}' is not enabled";
            NetworkLog.SaslMechanismRefused(logger, connection.ConnectionId, connection.RemoteEndPoint, why);
            connection.CloseReason = "unsupported SASL mechanism";
            response.ErrorCode = ErrorCode.UnsupportedSaslMechanism;
            return ResponseEncoder.Encode(header, response);
        }
        _mechanism = chosen;
        _server = chosen == SaslMechanism.Plain
            ? new PlainSaslServer(options.Credentials)
            : new ScramSaslServer(chosen, options.Credentials);
        ExpectsRawToken = legacy;
        return ResponseEncoder.Encode(header, response);
    }

    private ResponseFrame Authenticate(RequestHeader header, SaslAuthenticateRequest authenticate, KafkaConnectionInfo connection)
    {
        if (!TryEvaluate(authenticate.AuthBytes, connection, out byte[] challenge, out string? failure))
        {
            return ResponseEncoder.Encode(header, new SaslAuthenticateResponse
            {
                ErrorCode = ErrorCode.SaslAuthenticationFailed,
                ErrorMessage = failure,
            });
        }
        return ResponseEncoder.Encode(header, new SaslAuthenticateResponse { AuthBytes = challenge, SessionLifetimeMs = SessionLifetimeMs });
    }

    // What SaslAuthenticate v1+ tells the client (KIP-368): how long until it must re-authenticate, 0 for never.
    private long SessionLifetimeMs => options.ConnectionsMaxReauth is { } lifetime ? (long)lifetime.TotalMilliseconds : 0;

    /// <summary>Gives the client's message to the mechanism; on completion, checks a re-authentication's user and
    /// starts the session. False, with the connection set to close, when the authentication failed.</summary>
    private bool TryEvaluate(ReadOnlySpan<byte> message, KafkaConnectionInfo connection, out byte[] challenge, out string? failure)
    {
        ISaslServer server = _server!;
        try
        {
            challenge = server.EvaluateResponse(message);
            if (server.IsComplete && reauthenticating is not null && server.AuthorizationId != reauthenticating)
                throw new SaslAuthenticationException($"Cannot change principals during re-authentication from User.{reauthenticating}: User.{server.AuthorizationId}");
        }
        catch (SaslAuthenticationException e)
        {
            NetworkLog.SaslAuthenticationFailed(logger, connection.ConnectionId, connection.RemoteEndPoint, _mechanism.Name(), e.Message);
            connection.CloseReason = "SASL authentication failed";
            challenge = [];
            failure = e.Message;
            return false;
        }
        failure = null;
        if (server.IsComplete)
            Complete(connection, server.AuthorizationId!);
        return true;
    }

    private void Complete(KafkaConnectionInfo connection, string user)
    {
        connection.AuthenticatedUser = user;
        connection.SessionExpiresAt = options.ConnectionsMaxReauth is { } lifetime ? time.GetUtcNow() + lifetime : null;
        connection.Sasl = null;   // the state is no longer needed; the router now serves everything
        if (reauthenticating is null)
            NetworkLog.SaslAuthenticated(logger, connection.ConnectionId, connection.RemoteEndPoint, user, _mechanism.Name());
        else
            NetworkLog.SaslReauthenticated(logger, connection.ConnectionId, connection.RemoteEndPoint, user, _mechanism.Name(), SessionLifetimeMs);
    }
}
