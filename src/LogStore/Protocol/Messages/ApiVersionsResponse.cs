namespace LogStore.Protocol;

/// <summary>
/// ApiVersions response (key 18, v0–v3, flexible from v3). Kafka's rule for a request of a version the broker does not
/// speak: answer UNSUPPORTED_VERSION in v0, listing at least ApiVersions' own range, so the client can retry lower.
/// The v3 tagged fields (features, ZooKeeper migration) are skipped on read and not written.
/// </summary>
internal sealed class ApiVersionsResponse : IKafkaMessage<ApiVersionsResponse>, IKafkaResponse
{
    public static ApiKey ApiKey => ApiKey.ApiVersions;

    public ErrorCode ErrorCode { get; set; }

    public List<ApiVersion> ApiKeys { get; set; } = [];

    /// <summary>v1+.</summary>
    public int ThrottleTimeMs { get; set; }

    /// <summary>The response that advertises <see cref="ApiVersionsTable"/>.</summary>
    public static ApiVersionsResponse FromTable(ErrorCode errorCode = ErrorCode.None)
    {
        var response = new ApiVersionsResponse { ErrorCode = errorCode };
        foreach (ApiVersionRange range in ApiVersionsTable.All)
            response.ApiKeys.Add(new ApiVersion { ApiKey = range.ApiKey, MinVersion = range.MinVersion, MaxVersion = range.MaxVersion });
        return response;
    }

    /// <summary>
    /// Kafka's answer to an ApiVersions request of a version it does not speak: UNSUPPORTED_VERSION and only
    /// ApiVersions' own range, to be written in v0 whatever the request's version (a client can always read v0).
    /// </summary>
    public static ApiVersionsResponse UnsupportedVersion()
    {
        ApiVersionsTable.TryGet(ApiKey.ApiVersions, out ApiVersionRange range);
        var response = new ApiVersionsResponse { ErrorCode = ErrorCode.UnsupportedVersion };
        response.ApiKeys.Add(new ApiVersion { ApiKey = range.ApiKey, MinVersion = range.MinVersion, MaxVersion = range.MaxVersion });
        return response;
    }

    public static ApiVersionsResponse Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 3;
        var response = new ApiVersionsResponse { ErrorCode = (ErrorCode)reader.ReadInt16() };
        int count = reader.ReadNonNullArrayLength(flex, 6);
        response.ApiKeys.Capacity = count;
        for (int i = 0; i < count; i++)
        {
            response.ApiKeys.Add(new ApiVersion
            {
                ApiKey = (ApiKey)reader.ReadInt16(),
                MinVersion = reader.ReadInt16(),
                MaxVersion = reader.ReadInt16(),
            });
            if (flex)
                reader.SkipTaggedFields();
        }
        if (version >= 1)
            response.ThrottleTimeMs = reader.ReadInt32();
        if (flex)
            reader.SkipTaggedFields();
        return response;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 3;
        writer.WriteInt16((short)ErrorCode);
        writer.WriteArrayLength(ApiKeys.Count, flex);
        foreach (ApiVersion api in ApiKeys)
        {
            writer.WriteInt16((short)api.ApiKey);
            writer.WriteInt16(api.MinVersion);
            writer.WriteInt16(api.MaxVersion);
            if (flex)
                writer.WriteEmptyTaggedFields();
        }
        if (version >= 1)
            writer.WriteInt32(ThrottleTimeMs);
        if (flex)
            writer.WriteEmptyTaggedFields();
    }

    internal sealed class ApiVersion
    {
        public ApiKey ApiKey { get; set; }

        public short MinVersion { get; set; }

        public short MaxVersion { get; set; }
    }
}
