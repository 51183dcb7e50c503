using System.Globalization;
using LogStore;
using LogStore.Extensions.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HostedWorker;

/// <summary>Bills each order as a member of the "billing" group; the base class subscribes, commits after each order
/// and leaves the group when the host stops. Stops the host once every order is billed (unless running forever).</summary>
/// <remarks>It takes <see cref="IClientSupplier"/> rather than <see cref="Broker"/>, so it runs on the embedded store and on
/// a Kafka cluster alike.</remarks>
internal sealed partial class BillingWorker(IClientSupplier clients, OrderTally tally, SampleSettings settings,
    IHostApplicationLifetime lifetime, ILogger<BillingWorker> logger)
    : LogStoreConsumerService<string, string>(clients, WorkerOptions(), logger)
{
    protected override ValueTask HandleAsync(ConsumeResult<string, string> result, CancellationToken cancellationToken)
    {
        decimal amount = decimal.Parse(result.Message.Value, CultureInfo.InvariantCulture);
        int billed = tally.Add(amount);
        LogBilled(Logger, result.Message.Key, amount, result.TopicPartition, result.Offset);
        if (!settings.Forever && billed == settings.Records)
            lifetime.StopApplication();
        return ValueTask.CompletedTask;
    }

    private static LogStoreConsumerServiceOptions<string, string> WorkerOptions()
    {
        var options = new LogStoreConsumerServiceOptions<string, string>
        {
            Consumer = new ConsumerOptions { GroupId = "billing", AutoOffsetReset = AutoOffsetReset.Earliest },
            CommitMode = ConsumerCommitMode.AfterEachRecord,
            OnHandlerError = HandlerErrorBehavior.Skip,
        };
        options.Topics.Add("orders");
        return options;
    }

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Billed {Customer} {Amount} ({TopicPartition} offset {Offset})")]
    private static partial void LogBilled(ILogger logger, string customer, decimal amount, TopicPartition topicPartition, long offset);
}
