using LogStore.Protocol;

namespace LogStore.Network.Apis.FetchSessions;

/// <summary>
/// Gives each Fetch request its context from its session id and epoch (Kafka's <c>FetchManager.newContext</c>): a
/// full fetch closes the session it names and, with epoch 0, asks for a new one; an incremental fetch must name a
/// session the cache holds (else FETCH_SESSION_ID_NOT_FOUND), with the epoch it expects (else
/// INVALID_FETCH_SESSION_EPOCH), naming topics the way the session began (else FETCH_SESSION_TOPIC_ID_ERROR); its
/// partitions and forgotten partitions update the session, which ends when none are left. Thread-safe.
/// </summary>
internal sealed class FetchManager(FetchSessionCache cache, TimeProvider time)
{
    public FetchSessionCache Cache => cache;

    public long NowMs => time.GetUtcNow().ToUnixTimeMilliseconds();

    public FetchContext NewContext(FetchRequest request, short version)
    {
        bool usesTopicIds = version >= 13;
        // Before v7 there are no sessions; the request's defaults (0, -1) read as a sessionless full fetch.
        var metadata = new FetchMetadata(request.SessionId, request.SessionEpoch);
        if (version < 7)
            return new SessionlessFetchContext(request.Topics);
        if (metadata.IsFull)
        {
            if (metadata.SessionId != FetchMetadata.InvalidSessionId)
                cache.Remove(metadata.SessionId);
            return metadata.Epoch == FetchMetadata.FinalEpoch
                ? new SessionlessFetchContext(request.Topics)
                : new FullFetchContext(cache, request, usesTopicIds, IsFromFollower(request));
        }
        if (cache.Get(metadata.SessionId) is not { } session)
            return new SessionErrorContext(ErrorCode.FetchSessionIdNotFound);
        List<FetchRequest.Topic> topics;
        lock (session.Lock)
        {
            if (session.Epoch != metadata.Epoch)
                return new SessionErrorContext(ErrorCode.InvalidFetchSessionEpoch);
            if (session.UsesTopicIds != usesTopicIds)
                return new SessionErrorContext(ErrorCode.FetchSessionTopicIdError);
            session.Update(request);
            if (session.Count > 0)
            {
                session.Epoch = FetchMetadata.NextEpoch(session.Epoch);
                topics = IncrementalFetchContext.TopicsOf(session);
            }
            else
            {
                topics = [];
            }
        }
        if (topics.Count == 0)
        {
            // Every partition forgotten: the session ends, and this request is answered as sessionless.
            cache.Remove(session);
            return new SessionlessFetchContext(request.Topics);
        }
        cache.Touch(session, NowMs);
        return new IncrementalFetchContext(session, metadata.Epoch, topics);
    }

    private static bool IsFromFollower(FetchRequest request) => request.ReplicaId >= 0 || request.ReplicaState is { ReplicaId: >= 0 };
}
