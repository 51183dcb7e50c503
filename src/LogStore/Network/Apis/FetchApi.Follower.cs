using LogStore.Protocol;
using LogStore.Storage.Replication;

namespace LogStore.Network.Apis;

/// <summary>
/// A follower's fetch (Kafka's fetch from a replica, KIP-320 and KIP-595's diverging epoch): only the leader answers
/// one (NOT_LEADER_OR_FOLLOWER with the current leader otherwise); when the follower's last fetched epoch ended earlier
/// here, the response names where it ended instead of records, so that the follower truncates first; otherwise the
/// leader reads up to its log end, by sendfile when it can, and records the fetch offset as the follower's log end,
/// which may move the ISR and the high watermark the response carries.
/// </summary>
internal sealed partial class FetchApi
{
    /// <summary>The fetching replica's id, -1 for a consumer: the v15+ ReplicaState, the ReplicaId field before.</summary>
    private static int ReplicaIdOf(FetchRequest request, short version) =>
        version >= 15 ? request.ReplicaState?.ReplicaId ?? -1 : request.ReplicaId;

    /// <summary>KIP-320: below our leader epoch the sender is behind (FENCED_LEADER_EPOCH), above it we are
    /// (UNKNOWN_LEADER_EPOCH); -1 (not sent) checks nothing.</summary>
    private static ErrorCode? LeaderEpochError(PartitionReplica replica, int currentLeaderEpoch)
    {
        if (currentLeaderEpoch < 0)
            return null;
        int ours = replica.LeaderEpoch;
        return currentLeaderEpoch < ours ? ErrorCode.FencedLeaderEpoch
            : currentLeaderEpoch > ours ? ErrorCode.UnknownLeaderEpoch
            : null;
    }

    /// <summary>Reads up to <paramref name="maxBytes"/> (none at 0: past the response's budget) for follower
    /// <paramref name="replicaId"/>, then records its fetch; null with an error or a diverging epoch set in <paramref name="data"/>.</summary>
    private FileRegion? ReadForFollower(PartitionReplica replica, int replicaId, FetchRequest.Partition wanted, int maxBytes,
        FetchResponse.PartitionData data, short version)
    {
        // A replica id that is no follower of this leader learns nothing, as in Kafka (found by the peer fuzzer: a
        // stranger was told where an epoch ended here).
        if (replica.Role != ReplicaRole.Leader || replica.GetFollowerState(replicaId) is null)
        {
            NotLeader(replica, data, version);
            return null;
        }
        if (version >= 12 && wanted.LastFetchedEpoch >= 0)
        {
            (int epoch, long endOffset) = replica.Log.EndOffsetForEpoch(wanted.LastFetchedEpoch);
            if (epoch < wanted.LastFetchedEpoch || endOffset < wanted.FetchOffset)
            {
                // The follower's tail is not ours: nothing is read and its fetch state is left alone until it truncates.
                data.DivergingEpoch = new FetchResponse.EpochEndOffset { Epoch = epoch, EndOffset = endOffset };
                return null;
            }
        }
        FileRegion? region = maxBytes > 0 ? replica.ReadForFollowerRegion(wanted.FetchOffset, maxBytes) : null;
        if (!replica.UpdateFollowerFetchState(replicaId, wanted.FetchOffset, wanted.LogStartOffset, time.GetUtcNow()))
        {
            region?.Lease?.Dispose();
            NotLeader(replica, data, version);
            return null;
        }
        data.HighWatermark = replica.HighWatermark;
        data.LastStableOffset = data.HighWatermark;
        return region;
    }

    private static void NotLeader(PartitionReplica replica, FetchResponse.PartitionData data, short version)
    {
        data.ErrorCode = ErrorCode.NotLeaderOrFollower;
        if (version >= 12)
            data.CurrentLeader = new LeaderIdAndEpoch { LeaderId = replica.LeaderId ?? -1, LeaderEpoch = replica.LeaderEpoch };
    }
}
