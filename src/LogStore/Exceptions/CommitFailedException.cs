namespace LogStore;

/// <summary>
/// A group member's offset commit was refused because the member no longer owns the partitions (Kafka's
/// CommitFailedException): it was evicted after its session timed out, it left the group, or a rebalance moved the
/// partitions to another member. Nothing of the commit was stored; the new owner resumes from the last accepted
/// commit, so records processed since then may be delivered again.
/// </summary>
public sealed class CommitFailedException : LogStoreException
{
    /// <summary>Creates the exception.</summary>
    public CommitFailedException(string groupId, string memberId, int generation, string reason)
        : base($"Commit refused for member {memberId} of group '{groupId}' (generation {generation}): {reason}")
    {
        GroupId = groupId;
        MemberId = memberId;
        Generation = generation;
    }

    /// <summary>The consumer group.</summary>
    public string GroupId { get; }

    /// <summary>The member whose commit was refused.</summary>
    public string MemberId { get; }

    /// <summary>The group's generation when the commit was refused.</summary>
    public int Generation { get; }
}
