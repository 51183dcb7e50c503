namespace LogStore.Network.Apis.FetchSessions;

/// <summary>
/// The broker's incremental fetch sessions (KIP-227, Kafka's <c>FetchSessionCache</c>), bounded by
/// <c>max.incremental.fetch.session.cache.slots</c> (default 1000). Sessions belong to the broker, not to a
/// connection: a client that reconnects continues its session, and a session ends only when its client closes it
/// (a full fetch naming it), when it empties, or when it is evicted. Kafka's eviction rule, when every slot is taken:
/// a session unused for <c>min.incremental.fetch.session.eviction.ms</c> (2 minutes) goes first; otherwise a new
/// session may evict the least valuable one — the one with fewest partitions, consumers' before followers' — if the new
/// one is worth more, and only sessions older than that same interval can be evicted by a consumer's, so that a
/// newly created session is not evicted by a burst of others. A session refused a slot is answered as sessionless
/// (session id 0), which clients handle by fetching in full.
/// Thread-safety: every method takes the cache's lock; it takes a session's lock only inside its own, never the
/// other way round.
/// </summary>
internal sealed class FetchSessionCache : IAsyncDisposable
{
    /// <summary>Kafka's default for <c>max.incremental.fetch.session.cache.slots</c>.</summary>
    public const int DefaultMaxSlots = 1000;

    /// <summary>Kafka's default for <c>min.incremental.fetch.session.eviction.ms</c>.</summary>
    public const long DefaultEvictionMs = 120_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<int, FetchSession> _sessions = [];
    private readonly SortedSet<(long LastUsedMs, int Id)> _lastUsed = [];
    // (privileged, size, id): the first is the least valuable.
    private readonly SortedSet<(bool Privileged, int Size, int Id)> _evictableByAll = [];
    private readonly SortedSet<(bool Privileged, int Size, int Id)> _evictableByPrivileged = [];
    private readonly int _maxSlots;
    private readonly long _evictionMs;
    private readonly Random _random;
    private long _partitions;

    /// <param name="maxSlots">At most this many sessions; 0 turns sessions off.</param>
    /// <param name="evictionMs">How long a session must be unused to be stale, and old to be evictable by a consumer's.</param>
    /// <param name="random">Draws session ids; seeded in tests.</param>
    public FetchSessionCache(int maxSlots = DefaultMaxSlots, long evictionMs = DefaultEvictionMs, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxSlots);
        _maxSlots = maxSlots;
        _evictionMs = evictionMs;
        _random = random ?? Random.Shared;
    }

    public int Count
    {
        get
        {
            lock (_lock)
                return _sessions.Count;
        }
    }

    /// <summary>Partitions held by all sessions (Kafka's NumIncrementalFetchPartitionsCached).</summary>
    public long TotalPartitions
    {
        get
        {
            lock (_lock)
                return _partitions;
        }
    }

    /// <summary>Sessions evicted so far (Kafka's IncrementalFetchSessionEvictionsPerSec, as a count).</summary>
    public long Evictions { get; private set; }

    public FetchSession? Get(int sessionId)
    {
        lock (_lock)
            return _sessions.GetValueOrDefault(sessionId);
    }

    /// <summary>
    /// A new session with the partitions <paramref name="fill"/> adds (called only when a slot was found), or null
    /// when the cache has no slot for it.
    /// </summary>
    public FetchSession? MaybeCreateSession(long now, bool privileged, bool usesTopicIds, int size, Action<FetchSession> fill)
    {
        lock (_lock)
        {
            if (_sessions.Count >= _maxSlots && !TryEvict(privileged, (privileged, size, 0), now))
                return null;
            int id;
            do
                id = _random.Next(1, int.MaxValue);
            while (_sessions.ContainsKey(id));
            var session = new FetchSession(id, privileged, usesTopicIds, now, FetchMetadata.NextEpoch(FetchMetadata.InitialEpoch));
            fill(session);
            _sessions.Add(id, session);
            Touch(session, now);
            return session;
        }
    }

    /// <summary>Kafka's <c>tryEvict</c>: a stale session first, else the least valuable one if the new one is worth more.</summary>
    private bool TryEvict(bool privileged, (bool, int, int) key, long now)
    {
        if (_lastUsed.Count == 0 || _maxSlots == 0)
            return false;
        (long lastUsedMs, int staleId) = _lastUsed.Min;
        if (now - lastUsedMs > _evictionMs)
        {
            Remove(_sessions[staleId]);
            Evictions++;
            return true;
        }
        SortedSet<(bool, int, int)> candidates = privileged ? _evictableByPrivileged : _evictableByAll;
        if (candidates.Count == 0 || key.CompareTo(candidates.Min) < 0)
            return false;
        Remove(_sessions[candidates.Min.Item3]);
        Evictions++;
        return true;
    }

    public bool Remove(int sessionId)
    {
        lock (_lock)
            return _sessions.TryGetValue(sessionId, out FetchSession? session) && Remove(session);
    }

    public bool Remove(FetchSession session)
    {
        lock (_lock)
        {
            if (!_sessions.Remove(session.Id))
                return false;
            lock (session.Lock)
            {
                _lastUsed.Remove((session.LastUsedMs, session.Id));
                _evictableByAll.Remove((session.Privileged, session.CachedSize, session.Id));
                _evictableByPrivileged.Remove((session.Privileged, session.CachedSize, session.Id));
                _partitions -= session.CachedSize;
                session.CachedSize = -1;
            }
            return true;
        }
    }

    /// <summary>Marks a session used now and ranks it by its current size (Kafka's <c>touch</c>).</summary>
    public void Touch(FetchSession session, long now)
    {
        lock (_lock)
        {
            lock (session.Lock)
            {
                if (!_sessions.ContainsKey(session.Id))
                    return;
                _lastUsed.Remove((session.LastUsedMs, session.Id));
                session.LastUsedMs = now;
                _lastUsed.Add((now, session.Id));
                if (session.CachedSize != -1)
                {
                    _evictableByAll.Remove((session.Privileged, session.CachedSize, session.Id));
                    _evictableByPrivileged.Remove((session.Privileged, session.CachedSize, session.Id));
                    _partitions -= session.CachedSize;
                }
                session.CachedSize = session.Count;
                var key = (session.Privileged, session.CachedSize, session.Id);
                bool old = now - session.CreationMs > _evictionMs;
                if (!session.Privileged || old)
                    _evictableByPrivileged.Add(key);
                if (old)
                    _evictableByAll.Add(key);
                _partitions += session.CachedSize;
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            _sessions.Clear();
            _lastUsed.Clear();
            _evictableByAll.Clear();
            _evictableByPrivileged.Clear();
            _partitions = 0;
        }
        return ValueTask.CompletedTask;
    }
}
