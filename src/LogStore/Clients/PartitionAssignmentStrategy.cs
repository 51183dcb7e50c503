namespace LogStore;

/// <summary>How a consumer group shares its topics' partitions among its members (Kafka's partition.assignment.strategy).</summary>
public enum PartitionAssignmentStrategy
{
    /// <summary>
    /// Kafka's RangeAssignor, the default: per topic, members sorted by id each take a contiguous range of partitions,
    /// the first ones one more when the count does not divide. Eager: every rebalance revokes every partition first.
    /// </summary>
    Range,

    /// <summary>
    /// Kafka's RoundRobinAssignor: every subscribed partition, sorted by topic and number, is dealt in turn to the members
    /// subscribed to its topic. Eager: every rebalance revokes every partition first.
    /// </summary>
    RoundRobin,

    /// <summary>
    /// Kafka's CooperativeStickyAssignor: a balanced assignment that keeps each partition with its owner when it can.
    /// Cooperative: a rebalance revokes only the partitions that move; the others keep being consumed.
    /// </summary>
    CooperativeSticky,
}
