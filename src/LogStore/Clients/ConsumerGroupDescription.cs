namespace LogStore;

/// <summary>
/// A consumer group as <see cref="Broker.DescribeConsumerGroup"/> sees it (Kafka's <c>kafka-consumer-groups
/// --describe</c>): its live members with their partitions, and every partition it has a committed offset for or
/// consumes, with the lag. A group with neither members nor commits is described with both lists empty.
/// </summary>
/// <param name="GroupId">The group.</param>
/// <param name="Members">The members now in the group, ordered by member id.</param>
/// <param name="Partitions">Its partitions, ordered by topic and partition.</param>
public sealed record ConsumerGroupDescription(string GroupId, IReadOnlyList<ConsumerGroupMember> Members, IReadOnlyList<ConsumerGroupPartition> Partitions);

/// <summary>One member of a consumer group.</summary>
/// <param name="MemberId">Its member id.</param>
/// <param name="Assignment">The partitions the group assigns it.</param>
public sealed record ConsumerGroupMember(string MemberId, IReadOnlyList<TopicPartition> Assignment);

/// <summary>One partition of a consumer group: where the group is and how far behind.</summary>
/// <param name="TopicPartition">The partition.</param>
/// <param name="CommittedOffset">The group's committed offset (the next offset to read), or null when none.</param>
/// <param name="LogEndOffset">The partition's high watermark, or null when the partition no longer exists.</param>
/// <param name="Lag">Records between the committed offset and the end, or null when either is unknown.</param>
/// <param name="MemberId">The member consuming it, or null.</param>
public sealed record ConsumerGroupPartition(TopicPartition TopicPartition, long? CommittedOffset, long? LogEndOffset, long? Lag, string? MemberId);
