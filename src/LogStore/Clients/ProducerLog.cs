using Microsoft.Extensions.Logging;

namespace LogStore.Clients;

/// <summary>What the producer logs, with fixed event ids (4001–4099).</summary>
internal static partial class ProducerLog
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Error, Message = "A delivery callback for {Partition} threw; the producer goes on")]
    public static partial void DeliveryCallbackFailed(ILogger logger, TopicPartition partition, Exception exception);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Error, Message = "The producer's sender loop hit an unexpected error and goes on")]
    public static partial void SenderFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Appending a batch of {Records} records to {Partition} failed; their deliveries report the error")]
    public static partial void BatchFailed(ILogger logger, int records, TopicPartition partition, Exception exception);
}
