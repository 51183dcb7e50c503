using LogStore.Protocol;

namespace LogStore.Network.Apis;

/// <summary>ListOffsets: the earliest (-2) and latest (-1) offsets, and the first offset at or after a timestamp.</summary>
internal sealed class ListOffsetsApi(Broker broker)
{
    private const long Latest = -1;
    private const long Earliest = -2;

    public ListOffsetsResponse Handle(ListOffsetsRequest request)
    {
        var response = new ListOffsetsResponse();
        foreach (ListOffsetsRequest.Topic topic in request.Topics)
        {
            var topicResponse = new ListOffsetsResponse.TopicResponse { Name = topic.Name };
            foreach (ListOffsetsRequest.Partition wanted in topic.Partitions)
                topicResponse.Partitions.Add(Lookup(topic.Name, wanted));
            response.Topics.Add(topicResponse);
        }
        return response;
    }

    private ListOffsetsResponse.PartitionResponse Lookup(string topic, ListOffsetsRequest.Partition wanted)
    {
        var result = new ListOffsetsResponse.PartitionResponse { PartitionIndex = wanted.PartitionIndex };
        if (!broker.TryGetPartition(topic, wanted.PartitionIndex, out Partition? partition))
        {
            result.ErrorCode = ErrorCode.UnknownTopicOrPartition;
            return result;
        }
        // The current epoch, as Kafka answers for the latest offset; a single node has had one epoch per log so far.
        result.LeaderEpoch = partition.Replica.LeaderEpoch;
        try
        {
            switch (wanted.Timestamp)
            {
                case Latest:
                    result.Offset = partition.HighWatermark;
                    break;
                case Earliest:
                    result.Offset = partition.LogStartOffset;
                    break;
                case < 0:
                    // -3 (the largest timestamp) and -4 (KIP-1005's local log start) are not served yet.
                    result.ErrorCode = ErrorCode.UnsupportedVersion;
                    return result;
                default:
                    long? offset = partition.OffsetForTimestamp(DateTimeOffset.FromUnixTimeMilliseconds(wanted.Timestamp));
                    result.Offset = offset ?? -1;
                    result.Timestamp = offset is null ? -1 : wanted.Timestamp;
                    break;
            }
        }
        catch (Exception e) when (e is LogStoreException or ObjectDisposedException)
        {
            result.ErrorCode = ErrorCodes.FromException(e);
        }
        return result;
    }
}
