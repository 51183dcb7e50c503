using LogStore.Protocol;

namespace LogStore.Network.Apis.FetchSessions;

/// <summary>
/// An incremental fetch session (KIP-227, Kafka's <c>FetchSession</c>): the partitions a client fetches, in the order
/// they are served, and the epoch its next request must carry. Thread-safety: its own lock (<see cref="Lock"/>) guards
/// everything mutable; the cache's lock is never taken while it is held. Kept in memory only: after a restart the
/// client's next incremental fetch gets FETCH_SESSION_ID_NOT_FOUND and starts over with a full one, as with Kafka.
/// </summary>
internal sealed class FetchSession(int id, bool privileged, bool usesTopicIds, long creationMs, int epoch)
{
    private readonly Dictionary<FetchPartitionKey, CachedPartition> _byKey = [];
    private readonly LinkedList<CachedPartition> _order = new();

    public int Id { get; } = id;

    /// <summary>Created by a follower: evicts consumers' sessions, and is evicted by none but a stale one.</summary>
    public bool Privileged { get; } = privileged;

    /// <summary>Created by a request of v13+, which names topics by id: every later request must too.</summary>
    public bool UsesTopicIds { get; } = usesTopicIds;

    public long CreationMs { get; } = creationMs;

    public Lock Lock { get; } = new();

    /// <summary>The epoch the next incremental request must carry. Under <see cref="Lock"/>.</summary>
    public int Epoch { get; set; } = epoch;

    /// <summary>When it was last used, for the cache's staleness rule. Set by the cache only.</summary>
    public long LastUsedMs { get; set; } = creationMs;

    /// <summary>The partition count the cache last ranked it by (-1: not in the cache). Set by the cache only.</summary>
    public int CachedSize { get; set; } = -1;

    /// <summary>Under <see cref="Lock"/>.</summary>
    public int Count => _byKey.Count;

    /// <summary>Its partitions in serving order. Under <see cref="Lock"/>.</summary>
    public IEnumerable<CachedPartition> Partitions => _order;

    public bool TryGet(FetchPartitionKey key, out CachedPartition? partition) => _byKey.TryGetValue(key, out partition);

    /// <summary>Adds a partition at the end (a full request's, or one an incremental request names for the first time).</summary>
    public void Add(CachedPartition partition)
    {
        _byKey.Add(partition.Key, partition);
        partition.Node = _order.AddLast(partition);
    }

    /// <summary>
    /// Applies an incremental request: each partition it names is added or has its fetch position replaced, each it
    /// forgets is dropped. Under <see cref="Lock"/>.
    /// </summary>
    public void Update(FetchRequest request)
    {
        foreach (FetchRequest.Topic topic in request.Topics)
        {
            foreach (FetchRequest.Partition wanted in topic.Partitions)
            {
                var key = FetchPartitionKey.Of(UsesTopicIds, topic.TopicId, topic.Name, wanted.PartitionIndex);
                if (_byKey.TryGetValue(key, out CachedPartition? cached))
                    cached.UpdateRequest(wanted);
                else
                    Add(new CachedPartition(key, key.TopicName, wanted));
            }
        }
        foreach (FetchRequest.ForgottenTopic forgotten in request.ForgottenTopics)
        {
            foreach (int partition in forgotten.Partitions)
            {
                var key = FetchPartitionKey.Of(UsesTopicIds, forgotten.TopicId, forgotten.Name, partition);
                if (_byKey.Remove(key, out CachedPartition? removed))
                    _order.Remove(removed.Node!);
            }
        }
    }

    /// <summary>Moves a partition just answered to the end of the serving order. Under <see cref="Lock"/>.</summary>
    public void MoveToEnd(CachedPartition partition)
    {
        _order.Remove(partition.Node!);
        _order.AddLast(partition.Node!);
    }
}
