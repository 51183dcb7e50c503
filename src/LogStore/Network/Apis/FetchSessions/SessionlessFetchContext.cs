using LogStore.Protocol;

namespace LogStore.Network.Apis.FetchSessions;

/// <summary>A fetch without a session (session id 0, epoch -1, or a version before 7): everything is answered.</summary>
internal sealed class SessionlessFetchContext(IReadOnlyList<FetchRequest.Topic> topics) : FetchContext
{
    public override IReadOnlyList<FetchRequest.Topic> Topics => topics;

    public override void UpdateAndGenerateResponseData(FetchResponse response, long now) => response.SessionId = FetchMetadata.InvalidSessionId;
}
