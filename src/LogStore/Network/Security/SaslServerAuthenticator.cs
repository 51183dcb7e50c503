using LogStore.Diagnostics;
using LogStore.Network.Apis;
using LogStore.Protocol;
using Microsoft.Extensions.Logging;

namespace LogStore.Network.Security;

/// <summary>
/// One connection's SASL state before it is authenticated (Kafka's SaslServerAuthenticator). Before the handshake,
/// ApiVersions and SaslHandshake v1 are served; after it, only SaslAuthenticate, whose bytes go to the mechanism's
/// <see cref="ISaslServer"/>. Any other request closes the connection without an answer; an unsupported mechanism and a
/// failed authentication are answered with their error, then the connection closes; each refusal is logged. On
/// success <see cref="KafkaConnectionInfo.AuthenticatedUser"/> is set and the router serves everything. Lives on the
/// connection (<see cref="KafkaConnectionInfo.Sasl"/>); not thread-safe, as a connection's requests come one at a time.
/// </summary>
internal sealed class SaslServerAuthenticator(KafkaListenerSaslOptions options, ILogger logger)
{
    private ISaslServer? _server;
    private SaslMechanism _mechanism;

    /// <summary>The response to a request on a connection not yet authenticated, or null (nothing sent) after setting
    /// <see cref="KafkaConnectionInfo.CloseReason"/>.</summary>
    public ResponseFrame? Handle(RequestHeader header, object? body, KafkaConnectionInfo connection)
    {
        switch (body)
        {
            case ApiVersionsRequest when _server is null:
                return ResponseEncoder.Encode(header, ApiVersionsApi.Handle());
            case SaslHandshakeRequest handshake when _server is null:
                return Handshake(header, handshake, connection);
            case SaslAuthenticateRequest authenticate when _server is not null:
                return Authenticate(header, authenticate, connection);
            default:
                string state = _server is null ? "SASL handshake" : "SASL authentication";
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
        // v0 sends the mechanism's tokens raw, not in SaslAuthenticate requests: not implemented; clients use v1.
        if (header.ApiVersion < 1 || mechanism is not { } chosen || !options.EnabledMechanisms.Contains(chosen))
        {
            string why = header.ApiVersion < 1
                ? "SaslHandshake v0 (raw tokens) is not supported"
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
        return ResponseEncoder.Encode(header, response);
    }

    private ResponseFrame Authenticate(RequestHeader header, SaslAuthenticateRequest authenticate, KafkaConnectionInfo connection)
    {
        ISaslServer server = _server!;
        byte[] challenge;
        try
        {
            challenge = server.EvaluateResponse(authenticate.AuthBytes);
        }
        catch (SaslAuthenticationException e)
        {
            NetworkLog.SaslAuthenticationFailed(logger, connection.ConnectionId, connection.RemoteEndPoint, _mechanism.Name(), e.Message);
            connection.CloseReason = "SASL authentication failed";
            return ResponseEncoder.Encode(header, new SaslAuthenticateResponse
            {
                ErrorCode = ErrorCode.SaslAuthenticationFailed,
                ErrorMessage = e.Message,
            });
        }
        if (server.IsComplete)
        {
            connection.AuthenticatedUser = server.AuthorizationId;
            connection.Sasl = null;   // the state is no longer needed; the router now serves everything
            NetworkLog.SaslAuthenticated(logger, connection.ConnectionId, connection.RemoteEndPoint, server.AuthorizationId!, _mechanism.Name());
        }
        return ResponseEncoder.Encode(header, new SaslAuthenticateResponse { AuthBytes = challenge });
    }
}
