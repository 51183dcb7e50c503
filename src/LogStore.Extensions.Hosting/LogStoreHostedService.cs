using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LogStore.Extensions.Hosting;

/// <summary>
/// Owns the container's <see cref="Broker"/>: opens it when the host starts, or earlier on the first resolve, ensures
/// <see cref="LogStoreOptions.Topics"/>, and when the host has stopped disposes the producers and consumers the
/// container created and then the broker (flushed, cleanly closed, directory lock released).
/// </summary>
/// <remarks>
/// <para>Why a lifecycle service: hosted services are constructed before any of them starts, so a worker that takes
/// a Broker in its constructor resolves it before <see cref="IHostedService.StartAsync"/> of anyone; opening on that
/// first resolve makes it work whatever the registration order. Opening in <see cref="StartingAsync"/> (before every
/// StartAsync) and closing in <see cref="StoppedAsync"/> (after every StopAsync) means workers never see a closed
/// broker, even if they were registered before AddLogStore.</para>
/// <para>Thread-safe. After the close, resolving the broker throws <see cref="ObjectDisposedException"/>: a host is
/// not restarted. If the process dies instead, the broker recovers the directory at its next open.</para>
/// </remarks>
internal sealed class LogStoreHostedService : IHostedLifecycleService, IAsyncDisposable
{
    private readonly IOptions<LogStoreOptions> _options;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly TimeProvider? _timeProvider;
    private readonly string? _contentRoot;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<IAsyncDisposable> _clients = [];
    private volatile Broker? _broker;
    private bool _closed;

    public LogStoreHostedService(IOptions<LogStoreOptions> options, ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null, IHostEnvironment? environment = null)
    {
        _options = options;
        _loggerFactory = loggerFactory;
        _timeProvider = timeProvider;
        _contentRoot = environment?.ContentRootPath;
        _logger = (ILogger?)loggerFactory?.CreateLogger("LogStore.Extensions.Hosting") ?? NullLogger.Instance;
    }

    /// <summary>The open broker, opening it now (synchronously) when the host has not started yet.</summary>
    /// <exception cref="ObjectDisposedException">The host has stopped and the broker is closed.</exception>
    public Broker GetBroker()
    {
        if (_broker is { } broker)
            return broker;
        // A resolve before the host started (a hosted service's constructor): the open is synchronous in practice, and
        // there is no synchronization context in a host to deadlock on.
        return OpenAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Disposes <paramref name="client"/> at the close, before the broker, so that a consumer still commits
    /// and leaves its group and a producer flushes.</summary>
    public T Track<T>(T client) where T : IAsyncDisposable
    {
        lock (_clients)
            _clients.Add(client);
        return client;
    }

    public async Task StartingAsync(CancellationToken cancellationToken) => await OpenAsync(cancellationToken).ConfigureAwait(false);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    /// <summary>Closes the clients, then the broker; idempotent. Also called when the container is disposed, for a
    /// container used without a host.</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_closed)
                return;
            _closed = true;
            IAsyncDisposable[] clients;
            lock (_clients)
            {
                clients = [.. _clients];
                _clients.Clear();
            }
            // Newest first, as a container disposes: a client created later may depend on one created earlier.
            for (int i = clients.Length - 1; i >= 0; i--)
                await clients[i].DisposeAsync().ConfigureAwait(false);
            if (_broker is { } broker)
            {
                _broker = null;
                await broker.DisposeAsync().ConfigureAwait(false);
                HostingLog.BrokerClosed(_logger, broker.DataDirectory);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Creates a configured topic when missing. An existing one is left as it is, but a partition count that
    /// differs from the configuration is said (the host never changes partitions); an invalid configuration fails
    /// naming the topic.</summary>
    private async ValueTask EnsureTopicAsync(Broker broker, string name, TopicConfig? config, CancellationToken cancellationToken)
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
            HostingLog.PartitionCountDiffers(_logger, name, topic.Partitions.Count, config.Partitions);
    }

    private async ValueTask<Broker> OpenAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_closed, typeof(Broker));
            if (_broker is { } opened)
                return opened;
            LogStoreOptions options = _options.Value;
            Broker broker = await Broker.OpenAsync(options.ToBrokerOptions(_contentRoot, _loggerFactory, _timeProvider),
                cancellationToken).ConfigureAwait(false);
            try
            {
                foreach ((string name, TopicConfig? config) in options.Topics)
                    await EnsureTopicAsync(broker, name, config, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await broker.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            HostingLog.BrokerOpened(_logger, broker.DataDirectory, broker.Topics.Count);
            _broker = broker;
            return broker;
        }
        finally
        {
            _gate.Release();
        }
    }
}
