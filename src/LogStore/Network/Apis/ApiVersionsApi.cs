using LogStore.Protocol;

namespace LogStore.Network.Apis;

/// <summary>ApiVersions: the APIs and versions this broker serves (what clients negotiate against).</summary>
internal static class ApiVersionsApi
{
    // Fetch v13+ names topics by id, which LogStore does not keep yet: clients are held to v12, which names them.
    private const short MaxServedFetchVersion = 12;

    public static ApiVersionsResponse Handle()
    {
        var response = new ApiVersionsResponse();
        foreach (ApiVersionRange range in ApiVersionsTable.All)
        {
            short max = range.ApiKey == ApiKey.Fetch ? Math.Min(range.MaxVersion, MaxServedFetchVersion) : range.MaxVersion;
            response.ApiKeys.Add(new ApiVersionsResponse.ApiVersion { ApiKey = range.ApiKey, MinVersion = range.MinVersion, MaxVersion = max });
        }
        return response;
    }

    /// <summary>Whether a request of this API and version is one this broker serves (it may decode more).</summary>
    public static bool Serves(ApiKey apiKey, short version) =>
        ApiVersionsTable.Supports(apiKey, version) && (apiKey != ApiKey.Fetch || version <= MaxServedFetchVersion);
}
