namespace LogStore.Protocol;

/// <summary>A decoded request body: its API, and the response that reports one error for everything it asked.</summary>
internal interface IKafkaRequest
{
    /// <summary>The API this request belongs to.</summary>
    ApiKey RequestApiKey { get; }

    /// <summary>
    /// The response that answers every topic, partition, group or resource of this request with
    /// <paramref name="errorCode"/>, shaped like the request (Kafka's <c>AbstractRequest.getErrorResponse</c>): what a
    /// broker sends when it cannot serve the request at all — not the coordinator, not authenticated, shutting down.
    /// </summary>
    IKafkaResponse ErrorResponse(ErrorCode errorCode);
}

/// <summary>A response body that can be written in any version of its API.</summary>
internal interface IKafkaResponse
{
    /// <summary>Writes the body in version <paramref name="version"/>.</summary>
    void Write(ref KafkaWriter writer, short version);
}
