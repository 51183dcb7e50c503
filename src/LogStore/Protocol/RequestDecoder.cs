using System.Buffers;

namespace LogStore.Protocol;

/// <summary>What <see cref="RequestDecoder.TryDecode"/> made of a frame.</summary>
/// <param name="Header">The header, null when not even that could be read.</param>
/// <param name="Body">The request body (e.g. a <see cref="ProduceRequest"/>), null on any error.</param>
/// <param name="Error">Why the frame was refused, null when <see cref="Body"/> is set.</param>
/// <param name="IsUnsupportedVersion">The header is sound but names an API or version the broker does not speak:
/// answer UNSUPPORTED_VERSION with the header's correlation id rather than close the connection.</param>
internal readonly record struct DecodedRequest(RequestHeader? Header, IKafkaRequest? Body, string? Error, bool IsUnsupportedVersion)
{
    public bool Succeeded => Body is not null;
}

/// <summary>
/// Decodes a whole request frame (size prefix removed): header, then the body of any supported API; what follows the
/// body inside the frame is ignored. Malformed input becomes an error value, never an exception, so the network layer and the
/// fuzzer can call it on anything.
/// </summary>
internal static class RequestDecoder
{
    public static DecodedRequest TryDecode(ReadOnlySequence<byte> frame)
    {
        var reader = new KafkaReader(frame);
        RequestHeader header;
        try
        {
            header = RequestHeader.Read(ref reader);
        }
        catch (KafkaProtocolException e)
        {
            return new DecodedRequest(null, null, "Malformed request header: " + e.Message, false);
        }
        if (!ApiVersionsTable.Supports(header.ApiKey, header.ApiVersion))
            return new DecodedRequest(header, null, $"Unsupported API {header.ApiKey} v{header.ApiVersion}.", true);
        try
        {
            // Bytes after the body's last field are ignored, as Kafka's request parser does: librdkafka's all-topics
            // Metadata request pads its null topic count with three of them.
            IKafkaRequest body = ReadBody(ref reader, header.ApiKey, header.ApiVersion);
            return new DecodedRequest(header, body, null, false);
        }
        catch (KafkaProtocolException e)
        {
            return new DecodedRequest(header, null, $"Malformed {header.ApiKey} v{header.ApiVersion} request: {e.Message}", false);
        }
    }

    /// <summary>Reads the request body of <paramref name="apiKey"/>; the caller has checked the version is supported.</summary>
    public static IKafkaRequest ReadBody(ref KafkaReader reader, ApiKey apiKey, short version) => apiKey switch
    {
        ApiKey.ApiVersions => ApiVersionsRequest.Read(ref reader, version),
        ApiKey.Metadata => MetadataRequest.Read(ref reader, version),
        ApiKey.Produce => ProduceRequest.Read(ref reader, version),
        ApiKey.Fetch => FetchRequest.Read(ref reader, version),
        ApiKey.ListOffsets => ListOffsetsRequest.Read(ref reader, version),
        ApiKey.InitProducerId => InitProducerIdRequest.Read(ref reader, version),
        ApiKey.FindCoordinator => FindCoordinatorRequest.Read(ref reader, version),
        ApiKey.JoinGroup => JoinGroupRequest.Read(ref reader, version),
        ApiKey.SyncGroup => SyncGroupRequest.Read(ref reader, version),
        ApiKey.Heartbeat => HeartbeatRequest.Read(ref reader, version),
        ApiKey.LeaveGroup => LeaveGroupRequest.Read(ref reader, version),
        ApiKey.OffsetCommit => OffsetCommitRequest.Read(ref reader, version),
        ApiKey.OffsetFetch => OffsetFetchRequest.Read(ref reader, version),
        ApiKey.DescribeGroups => DescribeGroupsRequest.Read(ref reader, version),
        ApiKey.ListGroups => ListGroupsRequest.Read(ref reader, version),
        ApiKey.SaslHandshake => SaslHandshakeRequest.Read(ref reader, version),
        ApiKey.CreateTopics => CreateTopicsRequest.Read(ref reader, version),
        ApiKey.DeleteTopics => DeleteTopicsRequest.Read(ref reader, version),
        ApiKey.DeleteRecords => DeleteRecordsRequest.Read(ref reader, version),
        ApiKey.OffsetForLeaderEpoch => OffsetForLeaderEpochRequest.Read(ref reader, version),
        ApiKey.DescribeConfigs => DescribeConfigsRequest.Read(ref reader, version),
        ApiKey.SaslAuthenticate => SaslAuthenticateRequest.Read(ref reader, version),
        ApiKey.AlterPartition => AlterPartitionRequest.Read(ref reader, version),
        ApiKey.BrokerRegistration => BrokerRegistrationRequest.Read(ref reader, version),
        ApiKey.BrokerHeartbeat => BrokerHeartbeatRequest.Read(ref reader, version),
        _ => throw new KafkaProtocolException($"No decoder for {apiKey}."),
    };
}
