using LogStore.Protocol;

namespace LogStore.Network.Apis.FetchSessions;

/// <summary>
/// A full fetch that asks for a session (epoch 0): everything is answered, and the cache is asked for a new session
/// holding these partitions with what this response tells of them; the response carries its id, or 0 when the cache
/// had no slot (the client then keeps fetching in full).
/// </summary>
internal sealed class FullFetchContext(FetchSessionCache cache, FetchRequest request, bool usesTopicIds, bool privileged) : FetchContext
{
    public override IReadOnlyList<FetchRequest.Topic> Topics => request.Topics;

    public override void UpdateAndGenerateResponseData(FetchResponse response, long now)
    {
        int size = 0;
        foreach (FetchRequest.Topic topic in request.Topics)
            size += topic.Partitions.Count;
        FetchSession? session = cache.MaybeCreateSession(now, privileged, usesTopicIds, size, Fill);
        response.SessionId = session?.Id ?? FetchMetadata.InvalidSessionId;

        // The response answers the request's partitions one for one, in order (FetchApi builds it so).
        void Fill(FetchSession created)
        {
            for (int t = 0; t < request.Topics.Count; t++)
            {
                FetchRequest.Topic topic = request.Topics[t];
                for (int p = 0; p < topic.Partitions.Count; p++)
                {
                    FetchRequest.Partition wanted = topic.Partitions[p];
                    var key = FetchPartitionKey.Of(usesTopicIds, topic.TopicId, topic.Name, wanted.PartitionIndex);
                    if (created.TryGet(key, out CachedPartition? cached))
                    {
                        cached!.UpdateRequest(wanted);
                    }
                    else
                    {
                        cached = new CachedPartition(key, key.TopicName, wanted);
                        created.Add(cached);
                    }
                    cached.MaybeUpdateResponseData(response.Topics[t].Partitions[p], update: true);
                }
            }
        }
    }
}
