using System.Buffers;
using System.Net;
using LogStore.Diagnostics;
using LogStore.Network.Apis;
using LogStore.Network.Apis.Groups;
using LogStore.Network.Security;
using LogStore.Protocol;

namespace LogStore.Network.Server;

/// <summary>
/// Decodes each request and hands it to the handler of its API (Kafka's KafkaApis), then encodes the response with the
/// request's correlation id. When the listener requires SASL, a connection's requests go to its
/// <see cref="SaslServerAuthenticator"/> until it has authenticated, and again when it re-authenticates. An API Kafka
/// defines and LogStore does not serve is answered UNSUPPORTED_VERSION in that API's own response layout
/// (<see cref="UnsupportedApis"/>); ApiVersions of a newer version is answered UNSUPPORTED_VERSION with the versions
/// served, so that a client can negotiate down. Anything else this broker cannot read (malformed, a key or version
/// Kafka does not define, a served API at a version it does not serve) is a <see cref="KafkaProtocolException"/>, which
/// closes the connection, logged, as Kafka does. Thread-safe: connections call it concurrently.
/// </summary>
internal sealed class KafkaRequestRouter(Broker broker, KafkaListenerOptions options) : IKafkaRequestHandler
{
    private readonly MetadataApi _metadata = new(broker, options.AutoCreateTopics);
    private readonly ProduceApi _produce = new(broker);
    private readonly FetchApi _fetch = new(broker, broker.Options.TimeProvider);
    private readonly ListOffsetsApi _listOffsets = new(broker);
    private readonly InitProducerIdApi _initProducerId = new(broker);
    private readonly TopicsApi _topics = new(broker);
    private readonly DescribeConfigsApi _describeConfigs = new(broker);
    private readonly OffsetForLeaderEpochApi _offsetForLeaderEpoch = new(broker);
    private readonly GroupApis _groups = new(broker);
    private readonly ControllerApis _controller = new(broker);

    private readonly TimeProvider _time = broker.Options.TimeProvider;
    private readonly bool _peerTls = broker.Options.Replication?.PeerTls is not null;

    public async ValueTask<ResponseFrame?> HandleAsync(ReadOnlySequence<byte> request, KafkaConnectionInfo connection, CancellationToken cancellationToken)
    {
        // After a SaslHandshake v0 a frame is a raw SASL token, not a request: it is never decoded as one.
        if (connection.Sasl is { ExpectsRawToken: true } legacy)
            return legacy.HandleRawToken(request, connection);
        DecodedRequest decoded = RequestDecoder.TryDecode(request);
        RequestHeader? header = decoded.Header;
        if (header is { ApiKey: ApiKey.ApiVersions } && decoded.IsUnsupportedVersion)
            return ResponseEncoder.UnsupportedApiVersions(header.CorrelationId);
        if (header is not null && decoded.IsUnsupportedVersion && UnsupportedApis.TryGet(header.ApiKey, header.ApiVersion, out UnsupportedApiLayout? layout))
        {
            // An API Kafka defines and LogStore does not serve: answered, its body skipped unread, once authenticated.
            if (TryAuthenticate(header, null, connection, out ResponseFrame? refused))
                return refused;
            NetworkLog.UnsupportedApiAnswered(broker.Logger, connection.ConnectionId, connection.RemoteEndPoint, header.ApiKey, header.ApiVersion);
            return UnsupportedApiResponse.Encode(header.CorrelationId, layout, header.ApiVersion);
        }
        if (header is not null && decoded.IsUnsupportedVersion)
            throw new KafkaProtocolException(WhyNotAnswered(header));
        if (!decoded.Succeeded || header is null)
            throw new KafkaProtocolException(decoded.Error ?? "The request could not be decoded.");
        if (!ApiVersionsApi.Serves(header.ApiKey, header.ApiVersion))
            throw new KafkaProtocolException($"{header.ApiKey} v{header.ApiVersion} is not served (ApiVersions lists what is).");
        if (TryAuthenticate(header, decoded.Body, connection, out ResponseFrame? sasl))
            return sasl;
        if (!InterNodeAuthorizer.TryAuthorize(_peerTls, header, decoded.Body!, connection, broker.Logger, out IKafkaResponse? denied))
            return ResponseEncoder.Encode(header, denied!);
        short version = header.ApiVersion;
        switch (decoded.Body)
        {
            case ApiVersionsRequest:
                return ResponseEncoder.Encode(header, ApiVersionsApi.Handle());
            case MetadataRequest metadata:
                return ResponseEncoder.Encode(header, await _metadata.HandleAsync(metadata, version, Self(connection), cancellationToken).ConfigureAwait(false));
            case ProduceRequest produce:
                return await _produce.HandleAsync(produce, cancellationToken).ConfigureAwait(false) is { } produced
                    ? ResponseEncoder.Encode(header, produced) : null;
            case FetchRequest fetch:
                (FetchResponse fetched, List<FileRegion> regions) = await _fetch.HandleAsync(fetch, version, cancellationToken, connection.Closing).ConfigureAwait(false);
                try
                {
                    // From here the frame owns the regions: disposing it (once sent) releases their segments.
                    return ResponseEncoder.Encode(header, fetched);
                }
                catch
                {
                    foreach (FileRegion region in regions)
                        region.Lease?.Dispose();
                    throw;
                }
            case InitProducerIdRequest initProducerId:
                return ResponseEncoder.Encode(header, _initProducerId.Handle(initProducerId));
            case CreateTopicsRequest createTopics:
                return ResponseEncoder.Encode(header, await _topics.CreateAsync(createTopics,
                    forwarded: header.ClientId?.EndsWith(Cluster.Channels.RemoteControllerChannel.ClientIdSuffix, StringComparison.Ordinal) == true,
                    cancellationToken).ConfigureAwait(false));
            case DeleteTopicsRequest deleteTopics:
                return ResponseEncoder.Encode(header, await _topics.DeleteAsync(deleteTopics, cancellationToken).ConfigureAwait(false));
            case DeleteRecordsRequest deleteRecords:
                return ResponseEncoder.Encode(header, await _topics.DeleteRecordsAsync(deleteRecords, cancellationToken).ConfigureAwait(false));
            case DescribeConfigsRequest describeConfigs:
                return ResponseEncoder.Encode(header, _describeConfigs.Handle(describeConfigs));
            case OffsetForLeaderEpochRequest offsetForLeaderEpoch:
                return ResponseEncoder.Encode(header, _offsetForLeaderEpoch.Handle(offsetForLeaderEpoch));
            case FindCoordinatorRequest findCoordinator:
                return ResponseEncoder.Encode(header, await _groups.FindCoordinatorAsync(findCoordinator, version, Self(connection), cancellationToken).ConfigureAwait(false));
            case JoinGroupRequest joinGroup:
                return ResponseEncoder.Encode(header, await _groups.JoinGroupAsync(joinGroup, version, cancellationToken).ConfigureAwait(false));
            case SyncGroupRequest syncGroup:
                return ResponseEncoder.Encode(header, await _groups.SyncGroupAsync(syncGroup, version, cancellationToken).ConfigureAwait(false));
            case HeartbeatRequest heartbeat:
                return ResponseEncoder.Encode(header, await _groups.HeartbeatAsync(heartbeat, version, cancellationToken).ConfigureAwait(false));
            case LeaveGroupRequest leaveGroup:
                return ResponseEncoder.Encode(header, await _groups.LeaveGroupAsync(leaveGroup, version, cancellationToken).ConfigureAwait(false));
            case OffsetCommitRequest offsetCommit:
                return ResponseEncoder.Encode(header, await _groups.OffsetCommitAsync(offsetCommit, version, cancellationToken).ConfigureAwait(false));
            case OffsetFetchRequest offsetFetch:
                return ResponseEncoder.Encode(header, await _groups.OffsetFetchAsync(offsetFetch, version, cancellationToken).ConfigureAwait(false));
            case DescribeGroupsRequest describeGroups:
                return ResponseEncoder.Encode(header, await _groups.DescribeGroupsAsync(describeGroups, version, cancellationToken).ConfigureAwait(false));
            case ListGroupsRequest listGroups:
                return ResponseEncoder.Encode(header, await _groups.ListGroupsAsync(listGroups, version, cancellationToken).ConfigureAwait(false));
            case ListOffsetsRequest listOffsets:
                return ResponseEncoder.Encode(header, _listOffsets.Handle(listOffsets));
            case BrokerRegistrationRequest brokerRegistration:
                return ResponseEncoder.Encode(header, await _controller.RegisterAsync(brokerRegistration, cancellationToken).ConfigureAwait(false));
            case BrokerHeartbeatRequest brokerHeartbeat:
                return ResponseEncoder.Encode(header, await _controller.HeartbeatAsync(brokerHeartbeat, cancellationToken).ConfigureAwait(false));
            case AlterPartitionRequest alterPartition:
                return ResponseEncoder.Encode(header, await _controller.AlterPartitionAsync(alterPartition, version, cancellationToken).ConfigureAwait(false));
            case SaslHandshakeRequest or SaslAuthenticateRequest:
                return SaslServerAuthenticator.IllegalState(header, decoded.Body);
            default:
                throw new KafkaProtocolException($"{header.ApiKey} v{version} is not served yet.");
        }
    }

    /// <summary>
    /// True when SASL owns this request (the answer, or null to close, in <paramref name="response"/>): the connection has
    /// not authenticated, is re-authenticating, starts a re-authentication (a SaslHandshake once sessions expire), or
    /// its session has expired, when Kafka's rule closes it for anything but a re-authentication.
    /// </summary>
    private bool TryAuthenticate(RequestHeader header, object? body, KafkaConnectionInfo connection, out ResponseFrame? response)
    {
        response = null;
        // A node of the cluster proved by its peer certificate (mutual TLS) is authenticated already, as Kafka takes an
        // SSL principal: the nodes fetch, forward writes and reach the controller without SASL.
        if (options.Sasl is not { } sasl || connection.PeerNodeId is not null)
            return false;
        if (connection.Sasl is null)
        {
            if (connection.AuthenticatedUser is null)
            {
                connection.Sasl = new SaslServerAuthenticator(sasl, broker.Logger, _time);
            }
            else if (sasl.ConnectionsMaxReauth is not null && header.ApiKey == ApiKey.SaslHandshake)
            {
                connection.Sasl = new SaslServerAuthenticator(sasl, broker.Logger, _time, reauthenticating: connection.AuthenticatedUser);
            }
            else if (connection.SessionExpiresAt is { } expiry && _time.GetUtcNow() >= expiry)
            {
                NetworkLog.SaslSessionExpired(broker.Logger, connection.ConnectionId, connection.RemoteEndPoint, header.ApiKey);
                connection.CloseReason = "SASL session expired";
                return true;
            }
            else
            {
                return false;
            }
        }
        response = connection.Sasl.Handle(header, body, connection);
        return true;
    }

    /// <summary>Why a request with a sound header gets no answer: no response has a known shape (a key or version Kafka
    /// does not define, or a served API at a version LogStore does not read). Kafka closes such a connection too.</summary>
    private static string WhyNotAnswered(RequestHeader header)
    {
        string request = $"Unsupported API {header.ApiKey} v{header.ApiVersion}";
        if (ApiVersionsTable.TryGet(header.ApiKey, out ApiVersionRange served))
            return $"{request}: LogStore serves v{served.MinVersion}-v{served.MaxVersion} (ApiVersions lists them), and knows no other version's response";
        if (UnsupportedApis.All.FirstOrDefault(l => l.ApiKey == header.ApiKey) is { } known)
            return $"{request}: Kafka defines v{known.MinVersion}-v{known.MaxVersion}, so there is no response layout to answer with";
        return $"{request}: not an API key Kafka 4.0 defines, so there is no response layout to answer with";
    }

    /// <summary>This node as clients reach it: the address the client connected to (a listener of ours or a Kestrel
    /// endpoint), else the listener's bound address; this host's name for an address that means every address.</summary>
    private BrokerNode Self(KafkaConnectionInfo connection)
    {
        IPEndPoint endpoint = connection.LocalEndPoint as IPEndPoint ?? broker.KafkaEndpoint ?? options.Endpoint;
        string host = endpoint.Address.Equals(IPAddress.Any) || endpoint.Address.Equals(IPAddress.IPv6Any)
            ? Dns.GetHostName()
            : endpoint.Address.ToString();
        return new BrokerNode(broker.Options.Replication?.NodeId ?? 0, options.AdvertisedHost ?? host, endpoint.Port);
    }
}
