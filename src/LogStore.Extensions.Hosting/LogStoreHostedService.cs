using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LogStore.Extensions.Hosting;

/// <summary>
/// Owns the container's <see cref="IClientSupplier"/> (the embedded <see cref="Broker"/> of <c>AddLogStore</c>, or a
/// Kafka cluster's supplier of <c>AddLogStoreKafka</c>): opens it when the host starts, or earlier on the first resolve,
/// and when the host has stopped disposes the producers and consumers the container created and then the supplier (for
/// a broker: flushed, cleanly closed, directory lock released).
/// </summary>
/// <remarks>
/// <para>Why a lifecycle service: hosted services are constructed before any of them starts, so a worker that takes
/// a Broker in its constructor resolves it before <see cref="IHostedService.StartAsync"/> of anyone; opening on that
/// first resolve makes it work whatever the registration order. Opening in <see cref="StartingAsync"/> (before every
/// StartAsync) and closing in <see cref="StoppedAsync"/> (after every StopAsync) means workers never see a closed
/// broker, even if they were registered before AddLogStore.</para>
/// <para>Thread-safe. After the close, resolving the supplier throws <see cref="ObjectDisposedException"/>: a host is
/// not restarted. If the process dies instead, the broker recovers the directory at its next open.</para>
/// </remarks>
internal sealed class LogStoreHostedService : IHostedLifecycleService, IAsyncDisposable
{
    private readonly ClientSupplierOpener _opener;
    private readonly IServiceProvider _services;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<IAsyncDisposable> _clients = [];
    private volatile IClientSupplier? _supplier;
    private bool _closed;

    public LogStoreHostedService(ClientSupplierOpener opener, IServiceProvider services, ILoggerFactory? loggerFactory = null)
    {
        _opener = opener;
        _services = services;
        _logger = (ILogger?)loggerFactory?.CreateLogger("LogStore.Extensions.Hosting") ?? NullLogger.Instance;
    }

    /// <summary>The open supplier, opening it now (synchronously) when the host has not started yet.</summary>
    /// <exception cref="ObjectDisposedException">The host has stopped and the supplier is closed.</exception>
    public IClientSupplier GetClients()
    {
        if (_supplier is { } supplier)
            return supplier;
        // A resolve before the host started (a hosted service's constructor): the open is synchronous in practice, and
        // there is no synchronization context in a host to deadlock on.
        return OpenAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }

    /// <summary>The open broker of <c>AddLogStore</c>.</summary>
    /// <exception cref="NotSupportedException">The container's supplier is not an embedded broker (<c>AddLogStoreKafka</c>).</exception>
    public Broker GetBroker() => GetClients() as Broker ?? throw new NotSupportedException(
        $"The container's LogStore is {_supplier}, not an embedded Broker: the Broker type (its raw Partition API, its local " +
        "files) exists only with AddLogStore. Take IClientSupplier instead of Broker to run on either.");

    /// <summary>Disposes <paramref name="client"/> at the close, before the supplier, so that a consumer still commits
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

    /// <summary>Closes the clients, then the supplier; idempotent. Also called when the container is disposed, for a
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
            if (_supplier is { } supplier)
            {
                _supplier = null;
                await supplier.DisposeAsync().ConfigureAwait(false);
                if (supplier is Broker broker)
                    HostingLog.BrokerClosed(_logger, broker.DataDirectory);
                else
                    HostingLog.ClientsClosed(_logger, supplier.ToString() ?? supplier.GetType().Name);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async ValueTask<IClientSupplier> OpenAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_closed, typeof(IClientSupplier));
            if (_supplier is { } opened)
                return opened;
            IClientSupplier supplier = await _opener.Open(_services, cancellationToken).ConfigureAwait(false);
            if (supplier is Broker broker)
                HostingLog.BrokerOpened(_logger, broker.DataDirectory, broker.Topics.Count);
            else
                HostingLog.ClientsOpened(_logger, supplier.ToString() ?? supplier.GetType().Name);
            _supplier = supplier;
            return supplier;
        }
        finally
        {
            _gate.Release();
        }
    }
}

/// <summary>How the container's <see cref="IClientSupplier"/> is opened: registered once, by <c>AddLogStore</c>,
/// <c>AddLogStoreKafka</c> or <c>AddLogStoreClientSupplier</c>.</summary>
internal sealed class ClientSupplierOpener(Func<IServiceProvider, CancellationToken, ValueTask<IClientSupplier>> open)
{
    public Func<IServiceProvider, CancellationToken, ValueTask<IClientSupplier>> Open { get; } = open;
}
