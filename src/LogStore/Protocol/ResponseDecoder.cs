using System.Buffers;

namespace LogStore.Protocol;

/// <summary>
/// Reads a whole response frame (size prefix removed) of a known API and version: what a client of the protocol — the
/// tests, and the replication fetcher to come — does with what a broker sends.
/// </summary>
internal static class ResponseDecoder
{
    /// <summary>
    /// The body of the response to a request of <paramref name="version"/>, after its header (v1 when
    /// <paramref name="flexibleHeader"/>); throws <see cref="KafkaProtocolException"/> unless every byte is read.
    /// </summary>
    public static T Read<T>(ReadOnlySequence<byte> frame, short version, bool flexibleHeader, out int correlationId)
        where T : IKafkaMessage<T>
    {
        var reader = new KafkaReader(frame);
        correlationId = ResponseHeader.Read(ref reader, flexibleHeader);
        T body = T.Read(ref reader, version);
        reader.EnsureEnd($"{T.ApiKey} v{version} response");
        return body;
    }
}
