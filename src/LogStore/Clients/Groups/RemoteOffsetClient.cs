using LogStore.Protocol;

namespace LogStore.Clients.Groups;

/// <summary>
/// The committed offsets of a group this node does not coordinate, reached over the Kafka protocol as a Kafka
/// consumer reaches them: OffsetFetch and OffsetCommit (generation -1, no member: a consumer that assigns its own
/// partitions) sent through the <see cref="CoordinatorChannel"/>, for at most <see cref="OffsetStore.CommitTimeout"/>.
/// Thread-safe.
/// </summary>
/// <remarks>A subscribing consumer on such a node is a <see cref="RemoteGroupMember"/>, which commits with its
/// generation and member id through the same request built here.</remarks>
internal sealed class RemoteOffsetClient(CoordinatorChannel channel)
{
    internal const short OffsetFetchVersion = 7, OffsetCommitVersion = 8;

    /// <summary>The committed offset of <paramref name="partition"/>, or null.</summary>
    /// <exception cref="NotCoordinatorException">No coordinator answered within the timeout.</exception>
    /// <exception cref="NetworkException">The coordinator could not be reached.</exception>
    public long? Get(string group, TopicPartition partition)
    {
        var request = new OffsetFetchRequest
        {
            GroupId = group,
            Topics = [new OffsetFetchRequest.Topic { Name = partition.Topic, PartitionIndexes = [partition.Partition] }],
        };
        OffsetFetchResponse response = channel.Send<OffsetFetchRequest, OffsetFetchResponse>(group, request, OffsetFetchVersion,
            r => r.ErrorCode != ErrorCode.None ? r.ErrorCode : r.Topics is [{ Partitions: [var p] }] ? p.ErrorCode : ErrorCode.None,
            OffsetStore.CommitTimeout);
        long offset = response.Topics is [{ Partitions: [var only] }] ? only.CommittedOffset : -1;
        return offset >= 0 ? offset : null;
    }

    /// <summary>Commits <paramref name="offsets"/> (null offsets, which Kafka's OffsetCommit cannot carry, are refused).</summary>
    /// <exception cref="NotCoordinatorException">No coordinator answered within the timeout.</exception>
    /// <exception cref="NetworkException">The coordinator could not be reached.</exception>
    /// <exception cref="CommitFailedException">The coordinator refused the commit.</exception>
    public void Commit(string group, IReadOnlyList<(TopicPartition Partition, long? Offset)> offsets)
    {
        OffsetCommitRequest request = CommitRequest(group, -1, "", offsets);
        OffsetCommitResponse response = channel.Send<OffsetCommitRequest, OffsetCommitResponse>(group, request, OffsetCommitVersion,
            FirstError, OffsetStore.CommitTimeout);
        if (FirstError(response) is not ErrorCode.None and var error)
            throw new CommitFailedException(group, "(none)", -1, $"the coordinator answered {error}.");
    }

    /// <summary>An OffsetCommit of <paramref name="offsets"/> by <paramref name="memberId"/> in
    /// <paramref name="generation"/> (-1 and "" outside the group's membership).</summary>
    /// <exception cref="ArgumentException">An offset is null (a deletion, which OffsetCommit cannot carry).</exception>
    internal static OffsetCommitRequest CommitRequest(string group, int generation, string memberId,
        IReadOnlyList<(TopicPartition Partition, long? Offset)> offsets)
    {
        var request = new OffsetCommitRequest { GroupId = group, GenerationIdOrMemberEpoch = generation, MemberId = memberId };
        foreach ((TopicPartition tp, long? offset) in offsets)
        {
            if (offset is not long value)
                throw new ArgumentException($"Deleting the committed offset of {tp} is not possible through another node's coordinator.", nameof(offsets));
            OffsetCommitRequest.Topic? topic = request.Topics.Find(t => t.Name == tp.Topic);
            if (topic is null)
                request.Topics.Add(topic = new OffsetCommitRequest.Topic { Name = tp.Topic });
            topic.Partitions.Add(new OffsetCommitRequest.Partition { PartitionIndex = tp.Partition, CommittedOffset = value });
        }
        return request;
    }

    /// <summary>The first partition error of an OffsetCommit answer, NONE when every partition was stored.</summary>
    internal static ErrorCode FirstError(OffsetCommitResponse response)
    {
        foreach (OffsetCommitResponse.Topic topic in response.Topics)
        {
            foreach (OffsetCommitResponse.Partition partition in topic.Partitions)
            {
                if (partition.ErrorCode != ErrorCode.None)
                    return partition.ErrorCode;
            }
        }
        return ErrorCode.None;
    }
}
