using LogStore.Protocol;

namespace LogStore.Network.Apis.FetchSessions;

/// <summary>
/// What one Fetch request reads and how its response is finished (Kafka's <c>FetchContext</c>): the partitions to read
/// — the request's own, or, for an incremental fetch, every partition of its session — and, once they are read, the
/// session bookkeeping that decides the response's session id and which partitions it carries.
/// </summary>
internal abstract class FetchContext
{
    /// <summary>The partitions to read, named by id (v13+) or by name as the request's version does.</summary>
    public abstract IReadOnlyList<FetchRequest.Topic> Topics { get; }

    /// <summary>
    /// Finishes <paramref name="response"/>, which answers every partition of <see cref="Topics"/> in order: sets its
    /// session id and error, and drops the partitions it need not carry (releasing their file regions).
    /// </summary>
    public abstract void UpdateAndGenerateResponseData(FetchResponse response, long now);

    /// <summary>Drops a partition's answer from a response, releasing the segment its records were read from.</summary>
    protected static void Release(FetchResponse.PartitionData data)
    {
        data.RecordsFile?.Lease?.Dispose();
        data.RecordsFile = null;
    }
}
