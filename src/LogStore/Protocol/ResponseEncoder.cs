namespace LogStore.Protocol;

/// <summary>
/// Encodes a response — header, then body — into a <see cref="ResponseFrame"/> for the connection to send: what a
/// request handler returns. The header follows Kafka's rule (<see cref="RequestHeader.ResponseHeaderIsFlexible"/>).
/// </summary>
internal static class ResponseEncoder
{
    /// <summary>The response to <paramref name="request"/>, in the request's version.</summary>
    public static ResponseFrame Encode<T>(RequestHeader request, T body) where T : IKafkaMessage<T> =>
        Encode(request.CorrelationId, request.ResponseHeaderIsFlexible, body, request.ApiVersion);

    /// <summary>A response with an explicit header flexibility and body version.</summary>
    public static ResponseFrame Encode<T>(int correlationId, bool flexibleHeader, T body, short version) where T : IKafkaMessage<T>
    {
        var frame = new ResponseFrame();
        try
        {
            var writer = new KafkaWriter(frame);
            ResponseHeader.Write(ref writer, correlationId, flexibleHeader);
            body.Write(ref writer, version);
            return frame;
        }
        catch
        {
            frame.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A response known only by its interface, such as <see cref="IKafkaRequest.ErrorResponse"/>'s, in the request's
    /// version.
    /// </summary>
    public static ResponseFrame Encode(RequestHeader request, IKafkaResponse body)
    {
        var frame = new ResponseFrame();
        try
        {
            var writer = new KafkaWriter(frame);
            ResponseHeader.Write(ref writer, request.CorrelationId, request.ResponseHeaderIsFlexible);
            body.Write(ref writer, request.ApiVersion);
            return frame;
        }
        catch
        {
            frame.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The answer to an ApiVersions request of a version the broker does not speak: UNSUPPORTED_VERSION in v0, header
    /// v0, as Kafka answers, so that any client can read it and retry with a version from the list.
    /// </summary>
    public static ResponseFrame UnsupportedApiVersions(int correlationId) =>
        Encode(correlationId, flexibleHeader: false, ApiVersionsResponse.UnsupportedVersion(), version: 0);
}
