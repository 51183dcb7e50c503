using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LogStore.Extensions.Hosting;

/// <summary>
/// A hosted worker that consumes topics as a member of a consumer group: it subscribes when the host starts, calls
/// <see cref="HandleAsync"/> for each record in turn, commits per <see cref="LogStoreConsumerServiceOptions{TKey, TValue}.CommitMode"/>,
/// and on host shutdown finishes the record in hand (or abandons it when the handler observes the token), leaves its
/// group so that the other members take over its partitions, and stops.
/// </summary>
/// <remarks>
/// <para>Delivery is at-least-once: a record is committed only after its handler returned (or after it failed and was
/// skipped); a record whose handling did not finish is never committed, and is delivered again after a restart or to
/// the member that takes its partition over.</para>
/// <para>The topics must exist when the service starts (list them in <see cref="LogStoreOptions.Topics"/> to have
/// them created when the host starts); an unknown topic ends the service with <see cref="UnknownTopicException"/>.
/// Consuming itself failing (a damaged record, a deleted topic) ends the service with that exception.</para>
/// <para>Several instances (or several hosts on the same data directory, one after the other) with the same group
/// share the topics' partitions. Register a subclass with <c>services.AddHostedService&lt;T&gt;()</c>; its
/// constructor takes the container's <see cref="IClientSupplier"/> (or <see cref="Broker"/>, embedded only) and passes it
/// on with the options. Taking <see cref="IClientSupplier"/>, the same worker runs on a Kafka cluster with
/// LogStore.Kafka's <c>AddLogStoreKafka</c>.</para>
/// </remarks>
/// <example>
/// <code>
/// sealed class OrderWorker(IClientSupplier clients, ILogger&lt;OrderWorker&gt; logger) : LogStoreConsumerService&lt;string, string&gt;(clients,
///     new() { Consumer = new ConsumerOptions { GroupId = "billing", AutoOffsetReset = AutoOffsetReset.Earliest }, Topics = { "orders" } }, logger)
/// {
///     protected override ValueTask HandleAsync(ConsumeResult&lt;string, string&gt; result, CancellationToken cancellationToken)
///     {
///         Logger.LogInformation("{Key}: {Value}", result.Message.Key, result.Message.Value);
///         return ValueTask.CompletedTask;
///     }
/// }
/// </code>
/// </example>
/// <typeparam name="TKey">The message key type.</typeparam>
/// <typeparam name="TValue">The message value type.</typeparam>
public abstract class LogStoreConsumerService<TKey, TValue> : BackgroundService
{
    private readonly IClientSupplier _clients;
    private readonly LogStoreConsumerServiceOptions<TKey, TValue> _options;
    private readonly string[] _topics;
    private readonly IDeserializer<TKey> _keyDeserializer;
    private readonly IDeserializer<TValue> _valueDeserializer;
    private readonly TopicPartitionOffset[] _commit = new TopicPartitionOffset[1];

    /// <summary>Creates the service; nothing is consumed before the host starts it.</summary>
    /// <param name="broker">The broker to consume from, usually the container's.</param>
    /// <param name="options">The group, topics and behaviour; read once, here.</param>
    /// <param name="logger">Where failures and start/stop are logged; null for nowhere.</param>
    /// <exception cref="ArgumentException">No group id or no topic is set, or a type has no default deserializer and
    /// none is given.</exception>
    protected LogStoreConsumerService(Broker broker, LogStoreConsumerServiceOptions<TKey, TValue> options, ILogger? logger = null)
        : this((IClientSupplier)broker, options, logger)
    {
    }

    /// <summary>Creates the service on any <see cref="IClientSupplier"/> (the embedded broker or a Kafka cluster's);
    /// nothing is consumed before the host starts it.</summary>
    /// <param name="clients">The supplier to consume from, usually the container's.</param>
    /// <param name="options">The group, topics and behaviour; read once, here.</param>
    /// <param name="logger">Where failures and start/stop are logged; null for nowhere.</param>
    /// <exception cref="ArgumentException">No group id or no topic is set, or a type has no default deserializer and
    /// none is given.</exception>
    protected LogStoreConsumerService(IClientSupplier clients, LogStoreConsumerServiceOptions<TKey, TValue> options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(clients);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Consumer, nameof(options));
        if (string.IsNullOrWhiteSpace(options.Consumer.GroupId))
            throw new ArgumentException($"{GetType().Name} consumes as a group member: set Consumer.GroupId in its options.", nameof(options));
        if (options.Topics.Count == 0)
            throw new ArgumentException($"{GetType().Name} has no topic to consume: add one to Topics in its options.", nameof(options));
        if (!Enum.IsDefined(options.CommitMode))
            throw new ArgumentOutOfRangeException(nameof(options), options.CommitMode, "Unknown CommitMode.");
        if (!Enum.IsDefined(options.OnHandlerError))
            throw new ArgumentOutOfRangeException(nameof(options), options.OnHandlerError, "Unknown OnHandlerError.");
        _clients = clients;
        _options = options;
        _topics = [.. options.Topics];
        _keyDeserializer = options.KeyDeserializer ?? GuardedDeserializer<TKey>.BuiltIn() ?? throw NoDeserializer(typeof(TKey), "KeyDeserializer");
        _valueDeserializer = options.ValueDeserializer ?? GuardedDeserializer<TValue>.BuiltIn() ?? throw NoDeserializer(typeof(TValue), "ValueDeserializer");
        Logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The logger given to the constructor (a null logger when none was).</summary>
    protected ILogger Logger { get; }

    /// <summary>The service's consumer while it runs, for <see cref="HandleAsync"/> to look at its assignment, seek, or
    /// commit by hand with <see cref="ConsumerCommitMode.Auto"/>; null before the service starts and after it stops.
    /// Not thread-safe: use it only from within <see cref="HandleAsync"/>.</summary>
    protected IConsumer<TKey, TValue>? Consumer { get; private set; }

    /// <summary>Handles one record. Records of a partition come in offset order, one call at a time.</summary>
    /// <param name="result">The record, with its partition and offset.</param>
    /// <param name="cancellationToken">Cancelled when the host stops; a handler that gives up on it leaves the record
    /// uncommitted.</param>
    protected abstract ValueTask HandleAsync(ConsumeResult<TKey, TValue> result, CancellationToken cancellationToken);

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Return to the host at once: the consume loop may otherwise run synchronously for as long as records are there.
        await Task.Yield();
        var keys = new GuardedDeserializer<TKey>(_keyDeserializer);
        var values = new GuardedDeserializer<TValue>(_valueDeserializer);
        string name = GetType().Name;
        IConsumer<TKey, TValue> consumer = _clients.CreateConsumer(_options.Consumer, keys, values);
        await using (consumer.ConfigureAwait(false))
        {
            consumer.Subscribe(_topics);
            Consumer = consumer;
            HostingLog.ConsumerStarted(Logger, name, string.Join(", ", _topics), consumer.GroupId!);
            try
            {
                await ConsumeLoopAsync(consumer, keys, values, name, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // The host is stopping: leaving the group (the dispose) hands the partitions over.
            }
            finally
            {
                Consumer = null;
            }
        }
        HostingLog.ConsumerStopped(Logger, name);
    }

    private async Task ConsumeLoopAsync(IConsumer<TKey, TValue> consumer, GuardedDeserializer<TKey> keys,
        GuardedDeserializer<TValue> values, string name, CancellationToken stoppingToken)
    {
        while (true)
        {
            ConsumeResult<TKey, TValue>? result = await consumer.ConsumeAsync(Timeout.InfiniteTimeSpan, stoppingToken).ConfigureAwait(false);
            if (result is null)
                continue;
            Exception? keyFailure = keys.TakeFailure();
            Exception? failure = values.TakeFailure() ?? keyFailure;
            if (failure is null)
            {
                try
                {
                    await HandleAsync(result, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    failure = e;
                }
                catch (OperationCanceledException)
                {
                    Uncommit(consumer, result);
                    throw;
                }
            }
            if (failure is not null)
            {
                if (_options.OnHandlerError == HandlerErrorBehavior.Stop)
                {
                    HostingLog.RecordFailedStopping(Logger, failure, name, result.TopicPartition, result.Offset);
                    Uncommit(consumer, result);
                    ExceptionDispatchInfo.Throw(failure);
                }
                HostingLog.RecordFailedSkipped(Logger, failure, name, result.TopicPartition, result.Offset);
            }
            if (_options.CommitMode == ConsumerCommitMode.AfterEachRecord)
            {
                _commit[0] = new TopicPartitionOffset(result.TopicPartition, result.Offset + 1);
                consumer.Commit(_commit);
            }
        }
    }

    /// <summary>Moves the position back onto a record whose handling did not finish, so that the commit the consumer
    /// makes when it leaves its group (with auto-commit on) does not cover it.</summary>
    private static void Uncommit(IConsumer<TKey, TValue> consumer, ConsumeResult<TKey, TValue> result) =>
        consumer.Seek(new TopicPartitionOffset(result.TopicPartition, result.Offset));

    private ArgumentException NoDeserializer(Type type, string property) => new(
        $"{GetType().Name} has no default deserializer for {type.Name}: set {property} in its options " +
        $"(for example Deserializers.Json<{type.Name}>()).", "options");
}
