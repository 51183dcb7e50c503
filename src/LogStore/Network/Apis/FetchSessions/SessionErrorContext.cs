using LogStore.Protocol;

namespace LogStore.Network.Apis.FetchSessions;

/// <summary>A request whose session is unknown or out of step: answered with the error alone, nothing read.</summary>
internal sealed class SessionErrorContext(ErrorCode error) : FetchContext
{
    public override IReadOnlyList<FetchRequest.Topic> Topics => [];

    public override void UpdateAndGenerateResponseData(FetchResponse response, long now)
    {
        response.ErrorCode = error;
        response.SessionId = FetchMetadata.InvalidSessionId;
        response.Topics.Clear();
    }
}
