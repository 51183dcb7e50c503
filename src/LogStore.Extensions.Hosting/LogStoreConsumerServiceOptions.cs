namespace LogStore.Extensions.Hosting;

/// <summary>How a <see cref="LogStoreConsumerService{TKey, TValue}"/> consumes: the consumer's settings (a
/// <see cref="ConsumerOptions.GroupId"/> and at least one topic are required), when it commits and what it does when
/// handling a record fails.</summary>
/// <typeparam name="TKey">The message key type.</typeparam>
/// <typeparam name="TValue">The message value type.</typeparam>
public sealed class LogStoreConsumerServiceOptions<TKey, TValue> : LogStoreConsumerOptions<TKey, TValue>
{
    /// <summary>When offsets are committed. Default <see cref="ConsumerCommitMode.AfterEachRecord"/>.</summary>
    public ConsumerCommitMode CommitMode { get; set; } = ConsumerCommitMode.AfterEachRecord;

    /// <summary>What happens when the handler throws or a record cannot be deserialized. Default
    /// <see cref="HandlerErrorBehavior.Skip"/>.</summary>
    public HandlerErrorBehavior OnHandlerError { get; set; } = HandlerErrorBehavior.Skip;
}
