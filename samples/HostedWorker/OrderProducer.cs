using System.Globalization;
using LogStore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HostedWorker;

/// <summary>Produces orders (key: the customer, value: the amount) through the container's producer: a fixed number,
/// or one a second until the host stops.</summary>
internal sealed partial class OrderProducer(IProducer<string, string> producer, SampleSettings settings, ILogger<OrderProducer> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (settings.Forever)
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            for (int i = 0; await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false); i++)
                await producer.ProduceAsync("orders", Order(i), stoppingToken).ConfigureAwait(false);
            return;
        }
        // Produce batches the orders per partition; the flush waits until all of them are appended.
        for (int i = 0; i < settings.Records; i++)
            producer.Produce("orders", Order(i));
        await producer.FlushAsync(stoppingToken).ConfigureAwait(false);
        LogProduced(logger, settings.Records);
    }

    private static Message<string, string> Order(int i) => new()
    {
        Key = $"customer-{i % 5}",
        Value = (10 + i % 7 * 2.5m).ToString(CultureInfo.InvariantCulture),
    };

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Produced {Count} orders")]
    private static partial void LogProduced(ILogger logger, int count);
}
