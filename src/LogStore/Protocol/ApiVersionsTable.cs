namespace LogStore.Protocol;

/// <summary>One API's supported versions and the first version that uses Kafka's flexible encoding.</summary>
/// <param name="ApiKey">The API.</param>
/// <param name="MinVersion">The oldest version the broker reads.</param>
/// <param name="MaxVersion">The newest version the broker reads.</param>
/// <param name="FirstFlexibleVersion">From this version on: compact lengths, tagged fields, request header v2 and
/// response header v1 (<c>flexibleVersions</c> in Kafka's message schemas).</param>
internal readonly record struct ApiVersionRange(ApiKey ApiKey, short MinVersion, short MaxVersion, short FirstFlexibleVersion)
{
    public bool Supports(short version) => version >= MinVersion && version <= MaxVersion;

    public bool IsFlexible(short version) => version >= FirstFlexibleVersion;
}

/// <summary>
/// The APIs and versions a LogStore broker speaks, what its ApiVersions response advertises. The ranges cover every
/// version kcat (librdkafka 2.0.2) and Confluent.Kafka 2.16 were seen to send (tests/testdata/kafka-wire); a newer
/// client negotiates down to these maxima. Minimums stop where a version would need the old message formats (v0/v1),
/// since RecordBatch v2 is the only format LogStore stores.
/// </summary>
internal static class ApiVersionsTable
{
    private static readonly ApiVersionRange[] ByKey = Build(
    [
        new(ApiKey.Produce, 3, 10, 9),
        new(ApiKey.Fetch, 4, 16, 12),
        new(ApiKey.ListOffsets, 1, 7, 6),
        new(ApiKey.Metadata, 0, 13, 9),
        new(ApiKey.OffsetCommit, 2, 9, 8),
        new(ApiKey.OffsetFetch, 1, 7, 6),
        new(ApiKey.FindCoordinator, 0, 3, 3),
        new(ApiKey.JoinGroup, 0, 7, 6),
        new(ApiKey.Heartbeat, 0, 4, 4),
        new(ApiKey.LeaveGroup, 0, 4, 4),
        new(ApiKey.SyncGroup, 0, 5, 4),
        new(ApiKey.DescribeGroups, 0, 5, 5),
        new(ApiKey.ListGroups, 0, 5, 3),
        new(ApiKey.SaslHandshake, 0, 1, short.MaxValue),
        new(ApiKey.ApiVersions, 0, 3, 3),
        new(ApiKey.CreateTopics, 2, 7, 5),
        new(ApiKey.DeleteTopics, 1, 6, 4),
        new(ApiKey.DeleteRecords, 0, 2, 2),
        new(ApiKey.InitProducerId, 0, 4, 2),
        new(ApiKey.OffsetForLeaderEpoch, 2, 4, 4),
        new(ApiKey.DescribeConfigs, 1, 4, 4),
        new(ApiKey.SaslAuthenticate, 0, 2, 2),
        // The controller APIs a node sends to the active controller over the same listener (Kafka serves them on
        // its controller listener); every version Kafka 4.0 defines, all flexible.
        new(ApiKey.AlterPartition, 0, 3, 0),
        new(ApiKey.BrokerRegistration, 0, 4, 0),
        new(ApiKey.BrokerHeartbeat, 0, 1, 0),
    ]);

    /// <summary>Every supported API in key order, as the ApiVersions response lists them.</summary>
    public static IReadOnlyList<ApiVersionRange> All { get; } = Array.FindAll(ByKey, r => r.MaxVersion > 0);

    /// <summary>The range of <paramref name="apiKey"/>, false when the broker does not speak that API at all.</summary>
    public static bool TryGet(ApiKey apiKey, out ApiVersionRange range)
    {
        int index = (int)apiKey;
        if (index >= 0 && index < ByKey.Length && ByKey[index].MaxVersion > 0)
        {
            range = ByKey[index];
            return true;
        }
        range = default;
        return false;
    }

    /// <summary>True when <paramref name="apiKey"/> at <paramref name="version"/> is one the broker reads.</summary>
    public static bool Supports(ApiKey apiKey, short version) => TryGet(apiKey, out ApiVersionRange r) && r.Supports(version);

    private static ApiVersionRange[] Build(ApiVersionRange[] ranges)
    {
        // Indexed by key, gaps left default (MaxVersion 0 means absent: every supported API has a version above 0).
        int max = 0;
        foreach (ApiVersionRange r in ranges)
            max = Math.Max(max, (int)r.ApiKey);
        var byKey = new ApiVersionRange[max + 1];
        foreach (ApiVersionRange r in ranges)
            byKey[(int)r.ApiKey] = r;
        return byKey;
    }
}
