using LogStore.Network.Client;
using LogStore.Protocol;
using LogStore.Storage.Epochs;

namespace LogStore.Storage.Replication.Fetching;

/// <summary>Truncation by leader epoch (KIP-101, KIP-279): one OffsetForLeaderEpoch round for every partition that needs
/// one, each answer applied through <see cref="LeaderEpochTruncation"/>.</summary>
internal sealed partial class ReplicaFetcher
{
    private async ValueTask TruncateAsync(KafkaClientConnection connection, List<PartitionFetchState> states, CancellationToken cancellationToken)
    {
        var request = new OffsetForLeaderEpochRequest { ReplicaId = _options.NodeId };
        var asked = new Dictionary<TopicPartition, (PartitionFetchState State, int Epoch)>();
        lock (_lock)
        {
            var topics = new Dictionary<string, OffsetForLeaderEpochRequest.Topic>();
            foreach (PartitionFetchState state in states)
            {
                if (!IsCurrent(state, FetchPhase.Truncating))
                    continue;
                int latest = state.Replica.Log.LeaderEpochCache.LatestEpoch;
                if (state.ProbedEpoch is null && latest == LeaderEpochFileCache.UndefinedEpoch)
                {
                    // No epoch to compare by (an empty log): fetch from the log end, where contiguity is checked.
                    state.Phase = FetchPhase.Fetching;
                    continue;
                }
                int epoch = state.ProbedEpoch is null ? latest : 0;
                if (!topics.TryGetValue(state.Id.Topic, out OffsetForLeaderEpochRequest.Topic? topic))
                {
                    topics[state.Id.Topic] = topic = new OffsetForLeaderEpochRequest.Topic { Name = state.Id.Topic };
                    request.Topics.Add(topic);
                }
                topic.Partitions.Add(new OffsetForLeaderEpochRequest.Partition
                {
                    PartitionIndex = state.Id.Partition,
                    CurrentLeaderEpoch = state.LeaderEpoch,
                    LeaderEpoch = epoch,
                });
                asked[state.Id] = (state, epoch);
            }
        }
        if (asked.Count == 0)
            return;
        OffsetForLeaderEpochResponse response = await connection.SendAsync<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>(
            request, _offsetForLeaderEpochVersion, _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            foreach (OffsetForLeaderEpochResponse.Topic topic in response.Topics)
            {
                foreach (OffsetForLeaderEpochResponse.EpochEndOffset answer in topic.Partitions)
                {
                    if (!asked.Remove(new TopicPartition(topic.Name, answer.PartitionIndex), out var entry) || !IsCurrent(entry.State, FetchPhase.Truncating))
                        continue;
                    HandleEpochAnswer(entry.State, entry.Epoch, answer);
                }
            }
            // A partition the leader left out of its answer is asked again after the backoff.
            foreach ((PartitionFetchState state, _) in asked.Values)
            {
                if (IsCurrent(state, FetchPhase.Truncating))
                    Delay(state, ErrorCode.UnknownServerError);
            }
        }
    }

    /// <summary>Under the lock.</summary>
    private void HandleEpochAnswer(PartitionFetchState state, int askedEpoch, OffsetForLeaderEpochResponse.EpochEndOffset answer)
    {
        switch (answer.ErrorCode)
        {
            case ErrorCode.None:
                ApplyEpochAnswer(state, askedEpoch, answer.LeaderEpoch, answer.EndOffset);
                break;
            case ErrorCode.FencedLeaderEpoch:
                Fence(state, answer.ErrorCode);
                break;
            default:
                // UNKNOWN_LEADER_EPOCH or NOT_LEADER_OR_FOLLOWER (the leader has not applied the image naming it yet), a
                // storage error, an unknown partition.
                Delay(state, answer.ErrorCode);
                break;
        }
    }

    /// <summary>
    /// Truncates as the leader's answer for <paramref name="askedEpoch"/> requires (an OffsetForLeaderEpoch answer or a
    /// fetch's diverging epoch), then fetches, or truncates again when the search goes on. Under the lock.
    /// </summary>
    private void ApplyEpochAnswer(PartitionFetchState state, int askedEpoch, int leaderEpoch, long leaderEndOffset)
    {
        PartitionReplica replica = state.Replica;
        try
        {
            long logEnd = replica.LogEndOffset;
            OffsetTruncationState? decided = LeaderEpochTruncation.Decide(replica.Log.LeaderEpochCache, logEnd, replica.HighWatermark,
                askedEpoch, state.ProbedEpoch, leaderEpoch, leaderEndOffset);
            if (decided is not { } decision)
            {
                ReplicaFetcherLog.InvalidEpochAnswer(_logger, state.Id, LeaderId, askedEpoch, leaderEpoch, leaderEndOffset,
                    (long)_options.Backoff.TotalMilliseconds);
                state.ProbedEpoch = null;
                state.Phase = FetchPhase.Truncating;
                Backoff(state);
                return;
            }
            if (decision.Offset < logEnd)
            {
                if (leaderEndOffset == LeaderEpochFileCache.UndefinedEpochOffset)
                    ReplicaFetcherLog.TruncatedToHighWatermark(_logger, state.Id, decision.Offset);
                else
                    ReplicaFetcherLog.Truncated(_logger, state.Id, logEnd, decision.Offset, askedEpoch, leaderEpoch, leaderEndOffset);
                TruncateTo(state, decision.Offset);
            }
            state.ProbedEpoch = decision.ProbeEpoch;
            // A round that cuts nothing and probes nothing would ask the same question again: the search is over.
            bool completed = decision.Completed || (decision.ProbeEpoch is null && decision.Offset >= logEnd);
            state.Phase = completed ? FetchPhase.Fetching : FetchPhase.Truncating;
        }
        catch (Exception e) when (e is LogStoreException or NotSupportedException or InvalidOperationException or ObjectDisposedException)
        {
            Fail(state, e);
        }
    }

    /// <summary>Cuts the log at <paramref name="offset"/>; below the high watermark only because the leader's epochs say
    /// the records there are not the leader's (an unclean election, a leader that lost its tail). Under the lock.</summary>
    private void TruncateTo(PartitionFetchState state, long offset)
    {
        PartitionReplica replica = state.Replica;
        long highWatermark = replica.HighWatermark;
        bool belowHighWatermark = offset < highWatermark;
        if (belowHighWatermark)
            ReplicaFetcherLog.TruncatedBelowHighWatermark(_logger, state.Id, offset, highWatermark);
        replica.TruncateTo(offset, allowBelowHighWatermark: belowHighWatermark);
        state.Unflushed = true;
        Stats.Truncated();
    }
}
