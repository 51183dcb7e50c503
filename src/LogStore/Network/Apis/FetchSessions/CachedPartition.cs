using LogStore.Protocol;

namespace LogStore.Network.Apis.FetchSessions;

/// <summary>
/// One partition of a fetch session (Kafka's <c>CachedPartition</c>): what the client last asked for it — an
/// incremental request names it again only when that changes — and what the broker last told about it, so that a
/// response leaves it out while nothing changed. Guarded by its session's lock.
/// </summary>
internal sealed class CachedPartition
{
    public CachedPartition(FetchPartitionKey key, string topicName, FetchRequest.Partition request)
    {
        Key = key;
        TopicName = topicName;
        UpdateRequest(request);
    }

    public FetchPartitionKey Key { get; }

    /// <summary>The name the request gave (v12-) or empty (v13+: the id is resolved at each read).</summary>
    public string TopicName { get; }

    public int MaxBytes { get; private set; }

    public long FetchOffset { get; private set; }

    public int CurrentLeaderEpoch { get; private set; }

    public int LastFetchedEpoch { get; private set; }

    /// <summary>The fetcher's own log start (followers), -1 from consumers.</summary>
    public long FetcherLogStartOffset { get; private set; }

    /// <summary>The high watermark last sent, -1 for none yet (or after an error, so the partition is sent again).</summary>
    public long HighWatermark { get; private set; } = -1;

    /// <summary>The partition's log start last sent, -1 for none yet.</summary>
    public long LocalLogStartOffset { get; private set; } = -1;

    /// <summary>Its place in the session's order: partitions answered move to the end, so that a response cut short
    /// by max_bytes serves the others first next time.</summary>
    internal LinkedListNode<CachedPartition>? Node { get; set; }

    public void UpdateRequest(FetchRequest.Partition request)
    {
        MaxBytes = request.PartitionMaxBytes;
        FetchOffset = request.FetchOffset;
        CurrentLeaderEpoch = request.CurrentLeaderEpoch;
        LastFetchedEpoch = request.LastFetchedEpoch;
        FetcherLogStartOffset = request.LogStartOffset;
    }

    /// <summary>The request fields to read it with, as a full request would have named it.</summary>
    public FetchRequest.Partition ToRequest() => new()
    {
        PartitionIndex = Key.Partition,
        CurrentLeaderEpoch = CurrentLeaderEpoch,
        FetchOffset = FetchOffset,
        LastFetchedEpoch = LastFetchedEpoch,
        LogStartOffset = FetcherLogStartOffset,
        PartitionMaxBytes = MaxBytes,
    };

    /// <summary>
    /// Whether the response must carry this partition (Kafka's rule: records, a changed high watermark or log start,
    /// a preferred replica, a diverging epoch, or an error) and, with <paramref name="update"/>, remembers what it sends.
    /// </summary>
    public bool MaybeUpdateResponseData(FetchResponse.PartitionData data, bool update)
    {
        bool mustRespond = (data.RecordsFile?.Length ?? 0) > 0 || (data.RecordsFile is null && data.Records is { Length: > 0 });
        if (HighWatermark != data.HighWatermark)
        {
            mustRespond = true;
            if (update)
                HighWatermark = data.HighWatermark;
        }
        if (LocalLogStartOffset != data.LogStartOffset)
        {
            mustRespond = true;
            if (update)
                LocalLogStartOffset = data.LogStartOffset;
        }
        if (data.PreferredReadReplica >= 0 || data.DivergingEpoch is not null)
            mustRespond = true;
        if (data.ErrorCode != ErrorCode.None)
        {
            // Forgetting the high watermark makes the partition go out again once the error is gone.
            if (update)
                HighWatermark = -1;
            mustRespond = true;
        }
        return mustRespond;
    }
}
