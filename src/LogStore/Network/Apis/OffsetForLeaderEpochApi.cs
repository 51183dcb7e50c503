using LogStore.Protocol;
using LogStore.Storage;

namespace LogStore.Network.Apis;

/// <summary>
/// OffsetForLeaderEpoch from the partition's leader-epoch cache (Kafka's <c>Partition.lastOffsetForLeaderEpoch</c>):
/// a request that names a current leader epoch older than ours is fenced (FENCED_LEADER_EPOCH), a newer one is
/// UNKNOWN_LEADER_EPOCH (KIP-320); otherwise the answer is the largest epoch not above the requested one and where it
/// ended, or undefined (-1, -1) for an epoch this log never had after its first. Clients ask it after a leader change
/// to detect truncation; followers will ask it to truncate by epoch.
/// </summary>
internal sealed class OffsetForLeaderEpochApi(Broker broker)
{
    public OffsetForLeaderEpochResponse Handle(OffsetForLeaderEpochRequest request)
    {
        var response = new OffsetForLeaderEpochResponse();
        foreach (OffsetForLeaderEpochRequest.Topic topic in request.Topics)
        {
            var topicResult = new OffsetForLeaderEpochResponse.Topic { Name = topic.Name };
            response.Topics.Add(topicResult);
            foreach (OffsetForLeaderEpochRequest.Partition partition in topic.Partitions)
                topicResult.Partitions.Add(Answer(topic.Name, partition));
        }
        return response;
    }

    private OffsetForLeaderEpochResponse.EpochEndOffset Answer(string topic, OffsetForLeaderEpochRequest.Partition wanted)
    {
        var result = new OffsetForLeaderEpochResponse.EpochEndOffset { PartitionIndex = wanted.PartitionIndex };
        if (!broker.TryGetPartition(topic, wanted.PartitionIndex, out Partition? found))
        {
            result.ErrorCode = ErrorCode.UnknownTopicOrPartition;
            return result;
        }
        if (found.IsOffline)
        {
            result.ErrorCode = ErrorCode.KafkaStorageError;
            return result;
        }
        PartitionLog log = found.Log;
        int current = log.LeaderEpoch;
        if (wanted.CurrentLeaderEpoch >= 0 && wanted.CurrentLeaderEpoch != current)
        {
            result.ErrorCode = wanted.CurrentLeaderEpoch < current ? ErrorCode.FencedLeaderEpoch : ErrorCode.UnknownLeaderEpoch;
            return result;
        }
        (result.LeaderEpoch, result.EndOffset) = log.EndOffsetForEpoch(wanted.LeaderEpoch);
        return result;
    }
}
