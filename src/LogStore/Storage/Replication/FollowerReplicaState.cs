namespace LogStore.Storage.Replication;

/// <summary>
/// What a leader knows of one follower (Kafka's <c>Replica</c> and its <c>ReplicaState</c>): the log end and log start
/// its last fetch reported, when it fetched last and when it was last caught up with the leader's log end. Mutable,
/// only under the owning <see cref="PartitionReplica"/>'s lock; in memory only (a new leader starts afresh).
/// </summary>
internal sealed class FollowerReplicaState(int replicaId)
{
    /// <summary>Kafka's UnifiedLog.UnknownOffset: no fetch seen in this leadership yet.</summary>
    public const long UnknownOffset = -1;

    public int ReplicaId { get; } = replicaId;

    /// <summary>The follower's log end: the offset of its last fetch.</summary>
    public long LogEndOffset { get; private set; } = UnknownOffset;

    public long LogStartOffset { get; private set; } = UnknownOffset;

    /// <summary>The leader's log end when the follower last fetched.</summary>
    public long LastFetchLeaderLogEndOffset { get; private set; } = UnknownOffset;

    public DateTimeOffset LastFetchTime { get; private set; } = DateTimeOffset.MinValue;

    /// <summary>The last time the follower held everything the leader had (Kafka's lastCaughtUpTimeMs).</summary>
    public DateTimeOffset LastCaughtUpTime { get; private set; } = DateTimeOffset.MinValue;

    /// <summary>
    /// Records a fetch from <paramref name="fetchOffset"/>. A fetch at the leader's log end means caught up now; a fetch
    /// that reaches what the leader had at the previous fetch means caught up as of that previous fetch (Kafka's rule, so
    /// that a follower behind only by what arrived between two fetches never counts as lagging).
    /// </summary>
    public void UpdateFetchState(long fetchOffset, long logStartOffset, long leaderEndOffset, DateTimeOffset now)
    {
        if (fetchOffset >= leaderEndOffset)
            LastCaughtUpTime = Max(LastCaughtUpTime, now);
        else if (fetchOffset >= LastFetchLeaderLogEndOffset)
            LastCaughtUpTime = Max(LastCaughtUpTime, LastFetchTime);
        LogEndOffset = fetchOffset;
        LogStartOffset = logStartOffset;
        LastFetchLeaderLogEndOffset = leaderEndOffset;
        LastFetchTime = now;
    }

    /// <summary>In sync: at the leader's log end, or caught up within <paramref name="lagTime"/> (replica.lag.time.max.ms).</summary>
    public bool IsCaughtUp(long leaderEndOffset, DateTimeOffset now, TimeSpan lagTime) =>
        LogEndOffset == leaderEndOffset || now - LastCaughtUpTime <= lagTime;

    /// <summary>
    /// A leadership starts or moves on: an in-sync follower gets the lag time from now to fetch again, an out-of-sync one
    /// none (so it cannot hold the high watermark back). A new leader forgets the follower's offsets (it has not fetched
    /// from this leader yet); a leader keeping its leadership keeps them.
    /// </summary>
    public void Reset(DateTimeOffset now, long leaderEndOffset, bool isNewLeader, bool inSync)
    {
        LastCaughtUpTime = inSync ? now : DateTimeOffset.MinValue;
        if (isNewLeader)
        {
            LogEndOffset = UnknownOffset;
            LogStartOffset = UnknownOffset;
            LastFetchLeaderLogEndOffset = UnknownOffset;
            LastFetchTime = DateTimeOffset.MinValue;
        }
        else
        {
            LastFetchLeaderLogEndOffset = leaderEndOffset;
            LastFetchTime = now;
        }
    }

    /// <summary>
    /// The controller took this follower out of the ISR (a fenced node, or this leader's own shrink): it loses the
    /// credit of its last catch-up, so it no longer holds the high watermark back as a follower about to rejoin; a fetch
    /// at the leader's log end earns it again (Kafka's isReplicaIsrEligible keeps a fenced node out the same way).
    /// </summary>
    public void MarkOutOfSync() => LastCaughtUpTime = DateTimeOffset.MinValue;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a >= b ? a : b;

    public override string ToString() =>
        $"replica {ReplicaId}: logEnd {LogEndOffset}, logStart {LogStartOffset}, lastCaughtUp {LastCaughtUpTime:O}, lastFetch {LastFetchTime:O}";
}
