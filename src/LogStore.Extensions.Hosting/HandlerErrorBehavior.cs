namespace LogStore.Extensions.Hosting;

/// <summary>What a <see cref="LogStoreConsumerService{TKey, TValue}"/> does when its handler throws, or a record
/// cannot be deserialized.</summary>
public enum HandlerErrorBehavior
{
    /// <summary>Log the error with the record's partition and offset, treat the record as handled (commit past it)
    /// and go on with the next one.</summary>
    Skip = 0,

    /// <summary>Log the error and end the service with it, leaving the record uncommitted so that it is delivered again
    /// after a restart. With the host's default <c>BackgroundServiceExceptionBehavior.StopHost</c>, the host stops.</summary>
    Stop = 1,
}
