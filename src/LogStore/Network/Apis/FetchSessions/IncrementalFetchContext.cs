using LogStore.Protocol;

namespace LogStore.Network.Apis.FetchSessions;

/// <summary>
/// An incremental fetch of a session: every partition of the session is read, and the response carries only those
/// with something new (<see cref="CachedPartition.MaybeUpdateResponseData"/>), which then move to the end of the
/// session's order. If another request of the session got in between (a duplicate or a retry), the response is
/// INVALID_FETCH_SESSION_EPOCH and carries nothing, as Kafka's does.
/// </summary>
internal sealed class IncrementalFetchContext(FetchSession session, int requestEpoch, IReadOnlyList<FetchRequest.Topic> topics) : FetchContext
{
    public override IReadOnlyList<FetchRequest.Topic> Topics => topics;

    /// <summary>The session's partitions in serving order, as a request naming them would (call under its lock).</summary>
    public static List<FetchRequest.Topic> TopicsOf(FetchSession session)
    {
        var list = new List<FetchRequest.Topic>();
        FetchRequest.Topic? current = null;
        foreach (CachedPartition cached in session.Partitions)
        {
            // Consecutive partitions of one topic share an entry, as Kafka groups them.
            if (current is null || current.TopicId != cached.Key.TopicId || current.Name != cached.TopicName)
            {
                current = new FetchRequest.Topic { TopicId = cached.Key.TopicId, Name = cached.TopicName };
                list.Add(current);
            }
            current.Partitions.Add(cached.ToRequest());
        }
        return list;
    }

    public override void UpdateAndGenerateResponseData(FetchResponse response, long now)
    {
        response.SessionId = session.Id;
        lock (session.Lock)
        {
            if (session.Epoch != FetchMetadata.NextEpoch(requestEpoch))
            {
                response.ErrorCode = ErrorCode.InvalidFetchSessionEpoch;
                foreach (FetchResponse.TopicResponse topic in response.Topics)
                    topic.Partitions.ForEach(Release);
                response.Topics.Clear();
                return;
            }
            foreach (FetchResponse.TopicResponse topic in response.Topics)
            {
                topic.Partitions.RemoveAll(data =>
                {
                    var key = FetchPartitionKey.Of(session.UsesTopicIds, topic.TopicId, topic.Name, data.PartitionIndex);
                    if (session.TryGet(key, out CachedPartition? cached) && cached!.MaybeUpdateResponseData(data, update: true))
                    {
                        session.MoveToEnd(cached);
                        return false;
                    }
                    Release(data);
                    return true;
                });
            }
            response.Topics.RemoveAll(t => t.Partitions.Count == 0);
        }
    }
}
