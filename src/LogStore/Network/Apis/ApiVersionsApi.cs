using LogStore.Protocol;

namespace LogStore.Network.Apis;

/// <summary>ApiVersions: the APIs and versions this broker serves (what clients negotiate against), every version the
/// codec reads: Fetch up to v16 (topic ids from v13, kept in each partition's <c>partition.metadata</c>).</summary>
internal static class ApiVersionsApi
{
    public static ApiVersionsResponse Handle()
    {
        var response = new ApiVersionsResponse();
        foreach (ApiVersionRange range in ApiVersionsTable.All)
            response.ApiKeys.Add(new ApiVersionsResponse.ApiVersion { ApiKey = range.ApiKey, MinVersion = range.MinVersion, MaxVersion = range.MaxVersion });
        return response;
    }

    /// <summary>Whether a request of this API and version is one this broker serves.</summary>
    public static bool Serves(ApiKey apiKey, short version) => ApiVersionsTable.Supports(apiKey, version);
}
