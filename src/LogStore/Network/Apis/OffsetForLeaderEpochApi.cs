using LogStore.Protocol;

namespace LogStore.Network.Apis;

/// <summary>
/// OffsetForLeaderEpoch on a single node, whose only leader epoch is 0: the end offset of epoch 0 is the log end; a
/// client asking for a later epoch gets UNKNOWN_LEADER_EPOCH (Kafka's answer to an epoch from the future). Clients ask
/// it after a leader change to detect truncation (KIP-320); replication will give it more epochs.
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
            {
                var result = new OffsetForLeaderEpochResponse.EpochEndOffset { PartitionIndex = partition.PartitionIndex };
                topicResult.Partitions.Add(result);
                if (!broker.TryGetPartition(topic.Name, partition.PartitionIndex, out Partition? found))
                    result.ErrorCode = ErrorCode.UnknownTopicOrPartition;
                else if (partition.CurrentLeaderEpoch > 0 || partition.LeaderEpoch > 0)
                    result.ErrorCode = ErrorCode.UnknownLeaderEpoch;
                else
                    (result.LeaderEpoch, result.EndOffset) = (0, found.LogEndOffset);
            }
        }
        return response;
    }
}
