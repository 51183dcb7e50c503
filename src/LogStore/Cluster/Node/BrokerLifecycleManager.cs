using Microsoft.Extensions.Logging;

namespace LogStore.Cluster.Node;

/// <summary>
/// A node's standing with the controller (Kafka's BrokerLifecycleManager): it registers with an epoch of its own
/// (above any earlier incarnation's, so the controller refuses what the old one still sends), then heart-beats every
/// interval; a controller that forgot it (a stale epoch) gets a new registration. Failures (no controller elected,
/// an unreachable one) are retried at the next beat: the loop only ends when the node stops. Thread-safe.
/// </summary>
internal sealed partial class BrokerLifecycleManager : IAsyncDisposable
{
    private readonly int _nodeId;
    private readonly string _host;
    private readonly int _port;
    private readonly IControllerChannel _channel;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;
    private long _nodeEpoch;
    // Whether this process's log is all the node had: only the first registration after an unclean start says no.
    private bool _cleanShutdown;

    public BrokerLifecycleManager(int nodeId, string host, int port, IControllerChannel channel, TimeSpan interval, TimeSpan requestTimeout,
        TimeProvider time, ILogger logger, bool cleanShutdown = true)
    {
        (_nodeId, _host, _port, _channel, _interval, _requestTimeout, _time, _logger) = (nodeId, host, port, channel, interval, requestTimeout, time, logger);
        _cleanShutdown = cleanShutdown;
        // The clock's milliseconds: a restarted node's epoch is above its last incarnation's without storing anything.
        _nodeEpoch = time.GetUtcNow().ToUnixTimeMilliseconds();
    }

    /// <summary>The epoch of this node's latest registration.</summary>
    public long NodeEpoch => Interlocked.Read(ref _nodeEpoch);

    public void Start() => _loop = RunAsync(_stopping.Token);

    private async Task RunAsync(CancellationToken stopping)
    {
        bool registered = false;
        while (!stopping.IsCancellationRequested)
        {
            using (var attempt = CancellationTokenSource.CreateLinkedTokenSource(stopping))
            {
                attempt.CancelAfter(_requestTimeout);
                try
                {
                    if (!registered)
                    {
                        await _channel.RegisterNodeAsync(_nodeId, NodeEpoch, _host, _port, _cleanShutdown, attempt.Token).ConfigureAwait(false);
                        registered = true;
                        _cleanShutdown = true;
                        LogRegistered(_logger, _nodeId, NodeEpoch);
                    }
                    else
                    {
                        await _channel.HeartbeatAsync(_nodeId, NodeEpoch, attempt.Token).ConfigureAwait(false);
                    }
                }
                catch (StaleBrokerEpochException e)
                {
                    // The controller holds another incarnation's epoch: register again, above it.
                    registered = false;
                    // Above the controller's when it is known: a clock that went back since the last incarnation (a
                    // restored VM, an NTP step) would otherwise climb to it one refused registration at a time.
                    long next = Math.Max(Math.Max(NodeEpoch + 1, _time.GetUtcNow().ToUnixTimeMilliseconds()), (e.CurrentEpoch ?? -1) + 1);
                    Interlocked.Exchange(ref _nodeEpoch, next);
                    StaleEpoch(_logger, _nodeId, e.Message);
                    continue;
                }
                catch (Exception e) when (!stopping.IsCancellationRequested)
                {
                    // Any failure, not only the expected ones: a loop that ended here would stop the heartbeats for good,
                    // and the controller would keep this node fenced, out of every ISR, while it runs.
                    ControllerUnreachable(_logger, _nodeId, e.Message);
                }
            }
            try
            {
                await Task.Delay(_interval, _time, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>
    /// Kafka's controlled shutdown (KIP-631): stops the heartbeats, then sends heartbeats with WantShutDown until the
    /// controller answers that this node may stop (it fenced the node, so the node's leaderships moved to other ISR
    /// members) or <paramref name="cancellationToken"/> ends the wait. True when the controller agreed; false means
    /// stopping anyway, as a crash would (the controller then fences the node after a silent session).
    /// </summary>
    public async ValueTask<bool> ControlledShutdownAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        TimeSpan retry = TimeSpan.FromTicks(Math.Min(_interval.Ticks, TimeSpan.FromMilliseconds(100).Ticks));
        while (true)
        {
            try
            {
                if (await _channel.ControlledShutdownAsync(_nodeId, NodeEpoch, cancellationToken).ConfigureAwait(false))
                {
                    ShutDownAllowed(_logger, _nodeId);
                    return true;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                ShutDownUncontrolled(_logger, _nodeId, "the controller did not move its leaderships in time");
                return false;
            }
            catch (StaleBrokerEpochException e)
            {
                // The controller knows another incarnation: this one leads nothing there.
                ShutDownUncontrolled(_logger, _nodeId, e.Message);
                return false;
            }
            catch (Exception e) when (e is LogStoreException or OperationCanceledException)
            {
                ControllerUnreachable(_logger, _nodeId, e.Message);
            }
            try
            {
                await Task.Delay(retry, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                ShutDownUncontrolled(_logger, _nodeId, "the controller did not move its leaderships in time");
                return false;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Node {NodeId} registered with the controller, epoch {NodeEpoch}.")]
    private static partial void LogRegistered(ILogger logger, int nodeId, long nodeEpoch);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Node {NodeId} registers again: {Reason}")]
    private static partial void StaleEpoch(ILogger logger, int nodeId, string reason);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Information, Message = "Node {NodeId} handed its leaderships over; it stops.")]
    private static partial void ShutDownAllowed(ILogger logger, int nodeId);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Warning, Message = "Node {NodeId} stops without a controlled shutdown: {Reason}")]
    private static partial void ShutDownUncontrolled(ILogger logger, int nodeId, string reason);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Debug, Message = "Node {NodeId} could not reach the controller, retrying: {Reason}")]
    private static partial void ControllerUnreachable(ILogger logger, int nodeId, string reason);
}
