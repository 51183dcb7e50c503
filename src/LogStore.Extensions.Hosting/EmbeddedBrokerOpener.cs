using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LogStore.Extensions.Hosting;

/// <summary>Opens <c>AddLogStore</c>'s <see cref="Broker"/> from <see cref="LogStoreOptions"/> and ensures
/// <see cref="LogStoreOptions.Topics"/>.</summary>
internal static class EmbeddedBrokerOpener
{
    public static async ValueTask<IClientSupplier> OpenAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        LogStoreOptions options = services.GetRequiredService<IOptions<LogStoreOptions>>().Value;
        ILoggerFactory? loggerFactory = services.GetService<ILoggerFactory>();
        ILogger logger = (ILogger?)loggerFactory?.CreateLogger("LogStore.Extensions.Hosting") ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        Broker broker = await Broker.OpenAsync(options.ToBrokerOptions(services.GetService<IHostEnvironment>()?.ContentRootPath,
            loggerFactory, services.GetService<TimeProvider>()), cancellationToken).ConfigureAwait(false);
        try
        {
            foreach ((string name, TopicConfig? config) in options.Topics)
                await EnsureTopicAsync(broker, logger, name, config, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await broker.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return broker;
    }

    /// <summary>Creates a configured topic when missing. An existing one is left as it is, but a partition count that
    /// differs from the configuration is said (the host never changes partitions); an invalid configuration fails
    /// naming the topic.</summary>
    private static async ValueTask EnsureTopicAsync(Broker broker, ILogger logger, string name, TopicConfig? config, CancellationToken cancellationToken)
    {
        Topic topic;
        try
        {
            topic = await broker.GetOrCreateTopicAsync(name, config, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            throw new OptionsValidationException(name, typeof(TopicConfig),
                [$"LogStore:Topics:{name} is invalid: {e.Message}"]);
        }
        if (config is not null && topic.Partitions.Count != config.Partitions)
            HostingLog.PartitionCountDiffers(logger, name, topic.Partitions.Count, config.Partitions);
    }
}
