using LogStore;
using LogStore.Extensions.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

// In the namespace of IServiceCollection, as .NET's own Add* methods, so that they show up without a using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers LogStore's <see cref="Broker"/> (or another <see cref="IClientSupplier"/>, such as LogStore.Kafka's
/// <c>AddLogStoreKafka</c>), producers and consumers in a service collection.</summary>
public static class LogStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <see cref="Broker"/> as a singleton opened when the host starts (or on its first resolve, if that
    /// comes first), with <see cref="LogStoreOptions.Topics"/> created, and flushed and closed when the host has
    /// stopped, after every hosted service (producers and consumers from this container are closed first). The broker is
    /// also the container's <see cref="IClientSupplier"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the broker's settings; <see cref="LogStoreOptions.DataDirectory"/> is required.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddLogStore(this IServiceCollection services, Action<LogStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        AddLogStoreCore(services).Configure(configure);
        return services;
    }

    /// <summary>
    /// Registers the <see cref="Broker"/> as <see cref="AddLogStore(IServiceCollection, Action{LogStoreOptions})"/>
    /// does, with its settings bound from the <c>"LogStore"</c> section of <paramref name="configuration"/> (keys named
    /// as <see cref="LogStoreOptions"/>' properties; an unknown key fails the start, naming it), then
    /// <paramref name="configure"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The application's configuration (its root, not the section).</param>
    /// <param name="configure">Sets what the configuration cannot (a logger factory, a clock), or overrides it.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddLogStore(this IServiceCollection services, IConfiguration configuration,
        Action<LogStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        OptionsBuilder<LogStoreOptions> options = AddLogStoreCore(services)
            .Bind(configuration.GetSection(LogStoreOptions.SectionName), binder => binder.ErrorOnUnknownConfiguration = true);
        if (configure is not null)
            options.Configure(configure);
        return services;
    }

    /// <summary>
    /// Registers the container's <see cref="IClientSupplier"/>, opened by <paramref name="open"/> when the host starts (or
    /// on its first resolve, if that comes first) and disposed when the host has stopped, after the producers and
    /// consumers of this container. <c>AddLogStore</c> registers the embedded <see cref="Broker"/> through it and
    /// LogStore.Kafka's <c>AddLogStoreKafka</c> a Kafka cluster's supplier; <see cref="AddLogStoreProducer"/>,
    /// <see cref="AddLogStoreConsumer"/> and <see cref="LogStoreConsumerService{TKey, TValue}"/> work on either.
    /// Resolving <see cref="Broker"/> when the supplier is not one throws <see cref="NotSupportedException"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="open">Opens the supplier (and creates the topics the application needs).</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="InvalidOperationException">A supplier is registered already (AddLogStore and AddLogStoreKafka
    /// are alternatives).</exception>
    public static IServiceCollection AddLogStoreClientSupplier(this IServiceCollection services,
        Func<IServiceProvider, CancellationToken, ValueTask<IClientSupplier>> open)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(open);
        if (services.Any(static d => d.ServiceType == typeof(ClientSupplierOpener)))
        {
            throw new InvalidOperationException(
                "LogStore is registered already: AddLogStore (embedded) and AddLogStoreKafka (a cluster) are alternatives; call one.");
        }
        services.AddSingleton(new ClientSupplierOpener(open));
        services.TryAddSingleton<LogStoreHostedService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, LogStoreHostedService>(
            static sp => sp.GetRequiredService<LogStoreHostedService>()));
        services.TryAddSingleton(static sp => sp.GetRequiredService<LogStoreHostedService>().GetClients());
        services.TryAddSingleton(static sp => sp.GetRequiredService<LogStoreHostedService>().GetBroker());
        return services;
    }

    /// <summary>
    /// Registers an <see cref="IProducer{TKey, TValue}"/> singleton of the container's <see cref="IClientSupplier"/>, created on first
    /// resolve and flushed and closed when the host has stopped (before the broker).
    /// </summary>
    /// <param name="services">The service collection, where AddLogStore is also called.</param>
    /// <param name="configure">Sets the producer's options and serializers; null for the defaults.</param>
    /// <typeparam name="TKey">The message key type.</typeparam>
    /// <typeparam name="TValue">The message value type.</typeparam>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddLogStoreProducer<TKey, TValue>(this IServiceCollection services,
        Action<LogStoreProducerOptions<TKey, TValue>>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        OptionsBuilder<LogStoreProducerOptions<TKey, TValue>> options = services.AddOptions<LogStoreProducerOptions<TKey, TValue>>();
        if (configure is not null)
            options.Configure(configure);
        services.TryAddSingleton(static sp =>
        {
            LogStoreProducerOptions<TKey, TValue> o = sp.GetRequiredService<IOptions<LogStoreProducerOptions<TKey, TValue>>>().Value;
            LogStoreHostedService store = GetStore<IProducer<TKey, TValue>>(sp);
            return store.Track(store.GetClients().CreateProducer(o.Producer, o.KeySerializer, o.ValueSerializer));
        });
        return services;
    }

    /// <summary>
    /// Registers <see cref="IConsumer{TKey, TValue}"/> as transient: each resolve creates a consumer of the container's
    /// <see cref="IClientSupplier"/> (subscribed to <see cref="LogStoreConsumerOptions{TKey, TValue}.Topics"/> when there are any), since a
    /// consumer is used by one reader at a time. Consumers still open when the host has stopped are closed (leaving
    /// their group) before the broker. Each one is held until then: resolve one per long-lived reader (a worker), not
    /// one per operation.
    /// </summary>
    /// <param name="services">The service collection, where AddLogStore is also called.</param>
    /// <param name="configure">Sets the consumer's options, topics and deserializers.</param>
    /// <typeparam name="TKey">The message key type.</typeparam>
    /// <typeparam name="TValue">The message value type.</typeparam>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddLogStoreConsumer<TKey, TValue>(this IServiceCollection services,
        Action<LogStoreConsumerOptions<TKey, TValue>> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<LogStoreConsumerOptions<TKey, TValue>>().Configure(configure);
        services.TryAddTransient(static sp =>
        {
            LogStoreConsumerOptions<TKey, TValue> o = sp.GetRequiredService<IOptions<LogStoreConsumerOptions<TKey, TValue>>>().Value;
            LogStoreHostedService store = GetStore<IConsumer<TKey, TValue>>(sp);
            IConsumer<TKey, TValue> consumer = store.GetClients().CreateConsumer(o.Consumer, o.KeyDeserializer, o.ValueDeserializer);
            if (o.Topics.Count > 0)
                consumer.Subscribe(o.Topics);
            return store.Track(consumer);
        });
        return services;
    }

    private static OptionsBuilder<LogStoreOptions> AddLogStoreCore(IServiceCollection services)
    {
        AddLogStoreClientSupplier(services, EmbeddedBrokerOpener.OpenAsync);
        return services.AddOptions<LogStoreOptions>()
            .Validate(static o => !string.IsNullOrWhiteSpace(o.DataDirectory), LogStoreOptions.MissingDataDirectoryMessage)
            .ValidateOnStart();
    }

    private static LogStoreHostedService GetStore<TClient>(IServiceProvider services) =>
        services.GetService<LogStoreHostedService>() ?? throw new InvalidOperationException(
            $"{typeof(TClient).Name} needs LogStore: call services.AddLogStore(...) (embedded) or services.AddLogStoreKafka(...) (a cluster) as well.");
}
