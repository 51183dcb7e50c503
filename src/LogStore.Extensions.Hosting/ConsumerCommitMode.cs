namespace LogStore.Extensions.Hosting;

/// <summary>When a <see cref="LogStoreConsumerService{TKey, TValue}"/> commits its offsets.</summary>
public enum ConsumerCommitMode
{
    /// <summary>After each record is handled (or skipped), before the next is consumed: at-least-once, and after a
    /// crash at most the record being handled is delivered again. Since partitions move between group members only
    /// inside a consume call, a rebalance never hands another member a handled but uncommitted record.</summary>
    AfterEachRecord = 0,

    /// <summary>The service commits nothing itself: the consumer's auto-commit (<see cref="ConsumerOptions.EnableAutoCommit"/>
    /// every <see cref="ConsumerOptions.AutoCommitInterval"/>, and when it leaves its group) does. Cheaper; after a crash
    /// up to one interval of records is delivered again.</summary>
    Auto = 1,
}
