using LogStore;
using LogStore.Kafka;
using LogStore.Kafka.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

// In the namespace of IServiceCollection, as AddLogStore, so that the switch is one word in Program.cs.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a Kafka cluster as the container's LogStore: the alternative to <c>AddLogStore</c>.</summary>
/// <remarks>It lives in LogStore.Kafka, not in LogStore.Extensions.Hosting, so that an embedded application never
/// carries Confluent.Kafka and its native librdkafka; LogStore.Kafka references the hosting package (abstractions only)
/// so that one package is all a cluster application adds.</remarks>
public static class LogStoreKafkaServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="KafkaClientSupplier"/> as the container's <see cref="IClientSupplier"/> in place of the
    /// embedded broker of <c>AddLogStore</c>: it connects when the host starts (creating
    /// <see cref="LogStoreKafkaOptions.Topics"/> when missing) and is closed when the host has stopped, after the
    /// container's producers and consumers. <c>AddLogStoreProducer</c>, <c>AddLogStoreConsumer</c> and
    /// <c>LogStoreConsumerService</c> work unchanged; resolving <see cref="Broker"/> throws
    /// <see cref="NotSupportedException"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the cluster's settings; <see cref="LogStoreKafkaOptions.BootstrapServers"/> is required.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="InvalidOperationException">AddLogStore or AddLogStoreKafka was called already.</exception>
    public static IServiceCollection AddLogStoreKafka(this IServiceCollection services, Action<LogStoreKafkaOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        AddCore(services).Configure(configure);
        return services;
    }

    /// <summary>
    /// Registers the cluster as <see cref="AddLogStoreKafka(IServiceCollection, Action{LogStoreKafkaOptions})"/> does,
    /// with its settings bound from the <c>"LogStore:Kafka"</c> section of <paramref name="configuration"/> (an unknown
    /// key fails the start, naming it), then <paramref name="configure"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The application's configuration (its root, not the section).</param>
    /// <param name="configure">Overrides the configuration; null for none.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="InvalidOperationException">AddLogStore or AddLogStoreKafka was called already.</exception>
    public static IServiceCollection AddLogStoreKafka(this IServiceCollection services, IConfiguration configuration,
        Action<LogStoreKafkaOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        OptionsBuilder<LogStoreKafkaOptions> options = AddCore(services)
            .Bind(configuration.GetSection(LogStoreKafkaOptions.SectionName), binder => binder.ErrorOnUnknownConfiguration = true);
        if (configure is not null)
            options.Configure(configure);
        return services;
    }

    private static OptionsBuilder<LogStoreKafkaOptions> AddCore(IServiceCollection services)
    {
        services.AddLogStoreClientSupplier(OpenAsync);
        return services.AddOptions<LogStoreKafkaOptions>()
            .Validate(static o => !string.IsNullOrWhiteSpace(o.BootstrapServers), LogStoreKafkaOptions.MissingBootstrapServersMessage)
            .ValidateOnStart();
    }

    private static async ValueTask<IClientSupplier> OpenAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        LogStoreKafkaOptions options = services.GetRequiredService<IOptions<LogStoreKafkaOptions>>().Value;
        var supplier = new KafkaClientSupplier(options.ToSupplierOptions());
        try
        {
            foreach ((string name, TopicConfig? config) in options.Topics)
            {
                try
                {
                    await supplier.CreateTopicAsync(name, config, cancellationToken).ConfigureAwait(false);
                }
                catch (TopicExistsException)
                {
                    // As AddLogStore: an existing topic is left as it is.
                }
            }
        }
        catch
        {
            await supplier.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return supplier;
    }
}
