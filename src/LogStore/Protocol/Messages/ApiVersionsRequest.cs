namespace LogStore.Protocol;

/// <summary>ApiVersions request (key 18, v0–v3, flexible from v3): which versions does the broker speak.</summary>
internal sealed class ApiVersionsRequest : IKafkaMessage<ApiVersionsRequest>, IKafkaRequest
{
    public static ApiKey ApiKey => ApiKey.ApiVersions;

    /// <summary>v3+: the client library's name, e.g. librdkafka.</summary>
    public string ClientSoftwareName { get; set; } = "";

    /// <summary>v3+: the client library's version.</summary>
    public string ClientSoftwareVersion { get; set; } = "";

    public ApiKey RequestApiKey => ApiKey;

    public IKafkaResponse ErrorResponse(ErrorCode errorCode) => errorCode == ErrorCode.UnsupportedVersion
        ? ApiVersionsResponse.UnsupportedVersion()
        : new ApiVersionsResponse { ErrorCode = errorCode };

    public static ApiVersionsRequest Read(ref KafkaReader reader, short version)
    {
        var request = new ApiVersionsRequest();
        if (version >= 3)
        {
            request.ClientSoftwareName = reader.ReadString(compact: true);
            request.ClientSoftwareVersion = reader.ReadString(compact: true);
            reader.SkipTaggedFields();
        }
        return request;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        if (version < 3)
            return;
        writer.WriteString(ClientSoftwareName, compact: true);
        writer.WriteString(ClientSoftwareVersion, compact: true);
        writer.WriteEmptyTaggedFields();
    }
}
