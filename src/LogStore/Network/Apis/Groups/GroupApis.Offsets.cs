using LogStore.Clients.Groups;
using LogStore.Protocol;

namespace LogStore.Network.Apis.Groups;

internal sealed partial class GroupApis
{
    /// <summary>
    /// OffsetCommit into the group's <see cref="OffsetStore"/>, the one in-process consumers use. A member's commit is
    /// fenced as an in-process member's: UNKNOWN_MEMBER_ID from a member that left or was evicted, ILLEGAL_GENERATION
    /// from an old generation or for partitions it does not own; nothing of a refused commit is stored. A commit from
    /// outside the group (generation -1, no member id) is stored while the group has no members, as in Kafka.
    /// Partitions that do not exist get UNKNOWN_TOPIC_OR_PARTITION and the others are committed. Commit metadata is
    /// not kept (OffsetFetch answers it empty).
    /// </summary>
    /// <remarks>In a cluster a group this node does not coordinate gets NOT_COORDINATOR (or LOAD_IN_PROGRESS,
    /// NOT_AVAILABLE) on every partition, and a commit is answered once its records are replicated.</remarks>
    public async ValueTask<OffsetCommitResponse> OffsetCommitAsync(OffsetCommitRequest request, short version, CancellationToken ct)
    {
        var response = new OffsetCommitResponse();
        ErrorCode notServed = request.GroupId.Length == 0 ? ErrorCode.None : CheckCoordinator(request.GroupId);
        var valid = new List<(TopicPartition Partition, long? Offset)>();
        var validResults = new List<OffsetCommitResponse.Partition>();
        foreach (OffsetCommitRequest.Topic topic in request.Topics)
        {
            var topicResponse = new OffsetCommitResponse.Topic { Name = topic.Name };
            _broker.TryGetTopic(topic.Name, out Topic? found);
            foreach (OffsetCommitRequest.Partition partition in topic.Partitions)
            {
                var result = new OffsetCommitResponse.Partition { PartitionIndex = partition.PartitionIndex };
                result.ErrorCode = notServed != ErrorCode.None ? notServed : CheckCommit(request.GroupId, found, partition);
                if (result.ErrorCode == ErrorCode.None)
                {
                    valid.Add((new TopicPartition(topic.Name, partition.PartitionIndex), partition.CommittedOffset));
                    validResults.Add(result);
                }
                topicResponse.Partitions.Add(result);
            }
            response.Topics.Add(topicResponse);
        }
        if (valid.Count > 0)
        {
            ErrorCode error = await CommitAsync(request, valid, ct).ConfigureAwait(false);
            foreach (OffsetCommitResponse.Partition result in validResults)
                result.ErrorCode = error;
        }
        return response;
    }

    private static ErrorCode CheckCommit(string groupId, Topic? topic, OffsetCommitRequest.Partition partition)
    {
        if (groupId.Length == 0)
            return ErrorCode.InvalidGroupId;
        if (topic is null || (uint)partition.PartitionIndex >= (uint)topic.Partitions.Count)
            return ErrorCode.UnknownTopicOrPartition;
        if (partition.CommittedOffset < 0)
            return ErrorCode.OffsetOutOfRange;
        if (partition.CommittedMetadata is { Length: > MaxOffsetMetadataLength })
            return ErrorCode.OffsetMetadataTooLarge;
        return ErrorCode.None;
    }

    private async ValueTask<ErrorCode> CommitAsync(OffsetCommitRequest request, List<(TopicPartition Partition, long? Offset)> offsets, CancellationToken ct)
    {
        try
        {
            ConsumerGroup group = Coordinator.GetGroup(request.GroupId);
            RemoteResult result;
            OffsetStore.PendingCommit? pending;
            if (request.MemberId.Length == 0)
            {
                if (request.GenerationIdOrMemberEpoch >= 0)
                    return ErrorCode.UnknownMemberId;
                result = group.CommitStandalone(offsets, out pending);
            }
            else if (group.FindRemote(request.MemberId) is not { } member)
            {
                return ErrorCode.UnknownMemberId;
            }
            else
            {
                result = group.CommitRemote(member, request.GenerationIdOrMemberEpoch, offsets, out pending);
            }
            // Outside the group's lock: waiting for the followers must not hold up its other members.
            if (pending is not null)
                await Coordinator.Offsets.CompleteAsync(pending, ct).ConfigureAwait(false);
            return ToErrorCode(result);
        }
        catch (Exception e)
        {
            return Failed(e, "OffsetCommit", request.GroupId);
        }
    }

    /// <summary>
    /// OffsetFetch from the group's <see cref="OffsetStore"/>: -1 for a partition never committed; null topics (v2+)
    /// for every partition the group committed. Never creates <c>__consumer_offsets</c> by looking.
    /// </summary>
    public ValueTask<OffsetFetchResponse> OffsetFetchAsync(OffsetFetchRequest request, short version, CancellationToken ct)
    {
        var response = new OffsetFetchResponse();
        Dictionary<TopicPartition, long> committed = [];
        ErrorCode error = ErrorCode.None;
        if (request.GroupId.Length == 0)
        {
            error = ErrorCode.InvalidGroupId;
        }
        else if (CheckCoordinator(request.GroupId) is not ErrorCode.None and var notServed)
        {
            error = notServed;
        }
        else
        {
            try
            {
                if (_broker.TryGetTopic(OffsetStore.TopicName, out _))
                    committed = Coordinator.Offsets.GetAll(request.GroupId);
            }
            catch (Exception e)
            {
                error = Failed(e, "OffsetFetch", request.GroupId);
            }
        }
        if (request.Topics is null)
            AddAll(response, committed);
        else
            AddRequested(response, request.Topics, committed, error);
        if (version >= 2)
            response.ErrorCode = error;
        return ValueTask.FromResult(response);
    }

    private static void AddRequested(OffsetFetchResponse response, List<OffsetFetchRequest.Topic> topics,
        Dictionary<TopicPartition, long> committed, ErrorCode error)
    {
        foreach (OffsetFetchRequest.Topic topic in topics)
        {
            var topicResponse = new OffsetFetchResponse.Topic { Name = topic.Name };
            foreach (int index in topic.PartitionIndexes)
            {
                topicResponse.Partitions.Add(new OffsetFetchResponse.Partition
                {
                    PartitionIndex = index,
                    CommittedOffset = committed.TryGetValue(new TopicPartition(topic.Name, index), out long offset) ? offset : -1,
                    Metadata = "",
                    ErrorCode = error,
                });
            }
            response.Topics.Add(topicResponse);
        }
    }

    private static void AddAll(OffsetFetchResponse response, Dictionary<TopicPartition, long> committed)
    {
        var partitions = new List<TopicPartition>(committed.Keys);
        partitions.Sort(AssignorSupport.PartitionOrder);
        OffsetFetchResponse.Topic? current = null;
        foreach (TopicPartition tp in partitions)
        {
            if (current is null || current.Name != tp.Topic)
            {
                current = new OffsetFetchResponse.Topic { Name = tp.Topic };
                response.Topics.Add(current);
            }
            current.Partitions.Add(new OffsetFetchResponse.Partition { PartitionIndex = tp.Partition, CommittedOffset = committed[tp], Metadata = "" });
        }
    }
}
