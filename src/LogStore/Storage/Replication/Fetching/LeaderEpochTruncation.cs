using LogStore.Storage.Epochs;

namespace LogStore.Storage.Replication.Fetching;

/// <summary>Where to cut the follower's log after one answer of the leader, and whether the search is over (Kafka's
/// <c>OffsetTruncationState</c>).</summary>
/// <param name="Offset">The offset to truncate to; at or past the log end it cuts nothing.</param>
/// <param name="Completed">True when the log agrees with the leader's below <paramref name="Offset"/>; false when another
/// OffsetForLeaderEpoch round is needed (for the local epoch left last, or epoch 0 when <paramref name="ProbeEpoch"/>).</param>
/// <param name="ProbeEpoch">The local epoch the leader did not know: the next round asks epoch 0 to learn whether the
/// leader has epochs at all.</param>
internal readonly record struct OffsetTruncationState(long Offset, bool Completed, int? ProbeEpoch = null);

/// <summary>
/// The follower's truncation by leader epoch (KIP-101 with KIP-279's fix, as Kafka's <c>AbstractFetcherThread</c>):
/// from the leader's answer for an epoch — the largest epoch it has not above the asked one, and where that epoch ends
/// in its log — decide how much of the local tail diverges. Never the local high watermark, except for a leader with no
/// epochs at all (an undefined answer to epoch 0), where it is the only safe bound left. Pure: it reads the local epoch
/// cache and changes nothing.
/// </summary>
internal static class LeaderEpochTruncation
{
    /// <summary>Decides from the leader's answer (<paramref name="leaderEpoch"/>, <paramref name="leaderEndOffset"/>) to the
    /// question about <paramref name="askedEpoch"/>; null when the answer cannot be right (an epoch above the asked one).</summary>
    /// <param name="local">The follower's epoch cache.</param>
    /// <param name="logEnd">The follower's log end.</param>
    /// <param name="highWatermark">The follower's high watermark, used only when the leader has no epochs.</param>
    /// <param name="askedEpoch">The epoch asked (epoch 0 while probing).</param>
    /// <param name="probedEpoch">The local epoch the leader answered undefined for, when this answer is the probe's.</param>
    /// <param name="leaderEpoch">The leader's answer: the largest epoch it has not above the asked one.</param>
    /// <param name="leaderEndOffset">The leader's answer: where that epoch ends in its log.</param>
    public static OffsetTruncationState? Decide(LeaderEpochFileCache local, long logEnd, long highWatermark, int askedEpoch,
        int? probedEpoch, int leaderEpoch, long leaderEndOffset)
    {
        if (leaderEndOffset == LeaderEpochFileCache.UndefinedEpochOffset || leaderEpoch == LeaderEpochFileCache.UndefinedEpoch)
        {
            // Undefined for epoch 0 happens only when the leader has no epoch at all (a log written before epochs, or
            // empty): nothing to compare by, so the committed prefix is all that is known to be shared (Kafka's fallback).
            if (probedEpoch is not null || askedEpoch == 0)
                return new OffsetTruncationState(Math.Min(highWatermark, logEnd), Completed: true);
            // Otherwise the asked epoch is above every epoch the leader has — or the leader has none: probe to tell which.
            return new OffsetTruncationState(logEnd, Completed: false, ProbeEpoch: askedEpoch);
        }
        if (leaderEpoch > askedEpoch || leaderEndOffset < 0)
            return null;
        if (probedEpoch is { } probed)
        {
            // The leader has epochs, none at or above the probed one: the records of that epoch and later cannot be in its
            // log (a leader's log holds only the epochs its cache has). Cut them and ask again for the epoch left last.
            long start = StartOf(local, probed);
            return new OffsetTruncationState(Math.Min(start, logEnd), Completed: false);
        }
        (int followerEpoch, long followerEndOffset) = local.EndOffsetFor(leaderEpoch, logEnd);
        if (followerEndOffset < 0)
            return new OffsetTruncationState(Math.Min(leaderEndOffset, logEnd), Completed: true);
        if (followerEpoch != leaderEpoch)
        {
            // KIP-279: the leader answered an epoch this log never had. Cut to where the largest local epoch below it
            // ends, and ask again for that epoch: its end in the leader's log may lie lower still (KAFKA-6361).
            return new OffsetTruncationState(Math.Min(followerEndOffset, logEnd), Completed: false);
        }
        return new OffsetTruncationState(Math.Min(Math.Min(followerEndOffset, leaderEndOffset), logEnd), Completed: true);
    }

    /// <summary>Where <paramref name="epoch"/> begins in the local cache, or the log end's stand-in long.MaxValue.</summary>
    private static long StartOf(LeaderEpochFileCache local, int epoch)
    {
        foreach (EpochEntry entry in local.Entries())
        {
            if (entry.Epoch >= epoch)
                return entry.StartOffset;
        }
        return long.MaxValue;
    }
}
