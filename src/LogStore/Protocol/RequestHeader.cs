namespace LogStore.Protocol;

/// <summary>
/// A request's header (Kafka's RequestHeader v1 and v2): which API and version the body is, the correlation id the
/// response echoes and the client's id. v2, with a tagged-field section, is used from the API's first flexible
/// version on; the client id stays a classic (int16-length) nullable string in both.
/// </summary>
internal sealed class RequestHeader
{
    public ApiKey ApiKey { get; set; }

    public short ApiVersion { get; set; }

    public int CorrelationId { get; set; }

    public string? ClientId { get; set; }

    /// <summary>
    /// Whether this header is v2: the API is one the broker knows and the version is flexible. An unknown API or version
    /// is read as v1, enough to answer it with UNSUPPORTED_VERSION and its correlation id.
    /// </summary>
    public bool IsFlexible => ApiVersionsTable.TryGet(ApiKey, out ApiVersionRange range) && range.IsFlexible(ApiVersion);

    /// <summary>The header of the response to this request: v1 when flexible, but always v0 for ApiVersions, since a
    /// client must read its response before it knows which versions the broker speaks.</summary>
    public bool ResponseHeaderIsFlexible => IsFlexible && ApiKey != ApiKey.ApiVersions;

    public static RequestHeader Read(ref KafkaReader reader)
    {
        var header = new RequestHeader
        {
            ApiKey = (ApiKey)reader.ReadInt16(),
            ApiVersion = reader.ReadInt16(),
            CorrelationId = reader.ReadInt32(),
            ClientId = reader.ReadNullableString(compact: false),
        };
        if (header.IsFlexible)
            reader.SkipTaggedFields();
        return header;
    }

    public void Write(ref KafkaWriter writer)
    {
        writer.WriteInt16((short)ApiKey);
        writer.WriteInt16(ApiVersion);
        writer.WriteInt32(CorrelationId);
        writer.WriteNullableString(ClientId, compact: false);
        if (IsFlexible)
            writer.WriteEmptyTaggedFields();
    }
}
