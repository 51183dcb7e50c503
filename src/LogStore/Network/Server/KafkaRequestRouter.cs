using System.Buffers;
using System.Net;
using LogStore.Network.Apis;
using LogStore.Network.Apis.Groups;
using LogStore.Network.Security;
using LogStore.Protocol;

namespace LogStore.Network.Server;

/// <summary>
/// Decodes each request and hands it to the handler of its API (Kafka's KafkaApis), then encodes the response with the
/// request's correlation id. When the listener requires SASL, a connection's requests go to its
/// <see cref="SaslServerAuthenticator"/> until it has authenticated. A request this broker cannot read (malformed, or an
/// API or version it does not serve) is a <see cref="KafkaProtocolException"/>, which closes the connection, as Kafka
/// does; only ApiVersions of a newer version is answered, with UNSUPPORTED_VERSION and the versions served, so that a
/// client can negotiate down. Thread-safe: connections call it concurrently.
/// </summary>
internal sealed class KafkaRequestRouter(Broker broker, KafkaListenerOptions options) : IKafkaRequestHandler
{
    private readonly MetadataApi _metadata = new(broker, options.AutoCreateTopics);
    private readonly ProduceApi _produce = new(broker);
    private readonly FetchApi _fetch = new(broker, broker.Options.TimeProvider);
    private readonly ListOffsetsApi _listOffsets = new(broker);
    private readonly InitProducerIdApi _initProducerId = new(broker.Options.TimeProvider);
    private readonly TopicsApi _topics = new(broker);
    private readonly DescribeConfigsApi _describeConfigs = new(broker);
    private readonly OffsetForLeaderEpochApi _offsetForLeaderEpoch = new(broker);
    private readonly GroupApis _groups = new(broker);

    public async ValueTask<ResponseFrame?> HandleAsync(ReadOnlySequence<byte> request, KafkaConnectionInfo connection, CancellationToken cancellationToken)
    {
        DecodedRequest decoded = RequestDecoder.TryDecode(request);
        RequestHeader? header = decoded.Header;
        if (header is { ApiKey: ApiKey.ApiVersions } && decoded.IsUnsupportedVersion)
            return ResponseEncoder.UnsupportedApiVersions(header.CorrelationId);
        if (!decoded.Succeeded || header is null)
            throw new KafkaProtocolException(decoded.Error ?? "The request could not be decoded.");
        if (!ApiVersionsApi.Serves(header.ApiKey, header.ApiVersion))
            throw new KafkaProtocolException($"{header.ApiKey} v{header.ApiVersion} is not served (ApiVersions lists what is).");
        if (options.Sasl is { } sasl && connection.AuthenticatedUser is null)
        {
            connection.Sasl ??= new SaslServerAuthenticator(sasl, broker.Logger);
            return connection.Sasl.Handle(header, decoded.Body, connection);
        }
        short version = header.ApiVersion;
        switch (decoded.Body)
        {
            case ApiVersionsRequest:
                return ResponseEncoder.Encode(header, ApiVersionsApi.Handle());
            case MetadataRequest metadata:
                return ResponseEncoder.Encode(header, await _metadata.HandleAsync(metadata, version, Self(connection), cancellationToken).ConfigureAwait(false));
            case ProduceRequest produce:
                return _produce.Handle(produce) is { } produced ? ResponseEncoder.Encode(header, produced) : null;
            case FetchRequest fetch:
                (FetchResponse fetched, List<FileRegion> regions) = await _fetch.HandleAsync(fetch, version, cancellationToken).ConfigureAwait(false);
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
                return ResponseEncoder.Encode(header, await _topics.CreateAsync(createTopics, cancellationToken).ConfigureAwait(false));
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
            case SaslHandshakeRequest or SaslAuthenticateRequest:
                return SaslServerAuthenticator.IllegalState(header, decoded.Body);
            default:
                throw new KafkaProtocolException($"{header.ApiKey} v{version} is not served yet.");
        }
    }

    /// <summary>This node as clients reach it: the address the client connected to (a listener of ours or a Kestrel
    /// endpoint), else the listener's bound address; this host's name for an address that means every address.</summary>
    private BrokerNode Self(KafkaConnectionInfo connection)
    {
        IPEndPoint endpoint = connection.LocalEndPoint as IPEndPoint ?? broker.KafkaEndpoint ?? options.Endpoint;
        string host = endpoint.Address.Equals(IPAddress.Any) || endpoint.Address.Equals(IPAddress.IPv6Any)
            ? Dns.GetHostName()
            : endpoint.Address.ToString();
        return new BrokerNode(0, options.AdvertisedHost ?? host, endpoint.Port);
    }
}
