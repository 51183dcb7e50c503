using System.Net;
using LogStore.Network.Client;
using LogStore.Protocol;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace LogStore.Storage.Replication.Fetching;

/// <summary>
/// Fetches the partitions this node follows from one leader (Kafka's <c>ReplicaFetcherThread</c> over
/// <c>AbstractFetcherThread</c>): one loop on one connection. A partition added, or re-added in a newer epoch, first
/// truncates by leader epoch (OffsetForLeaderEpoch, <see cref="LeaderEpochTruncation"/>), then fetches from its log end
/// and appends the leader's batches verbatim with <see cref="PartitionReplica.AppendAsFollower"/>, taking the leader's
/// high watermark. A lost connection is reopened after the backoff; a partition the leader fences idles until its owner
/// re-adds it; one that cannot go on (a corrupt batch, a storage error) stops, logged. Nothing the leader sends is
/// written anywhere but through a follower append or a truncation its epochs justify.
/// </summary>
/// <remarks>Thread-safety: <see cref="AddPartitions"/> and <see cref="RemovePartitions"/> may be called from any thread.
/// A response is applied under the partition lock they take, so once <see cref="RemovePartitions"/> returns the fetcher
/// appends to or truncates none of the partitions removed.</remarks>
internal sealed partial class ReplicaFetcher : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);
    // Room above the response limit for a first batch larger than it (Kafka sends one whole batch whatever the limit).
    private const int ResponseHeadroomBytes = 16 << 20;

    private readonly Lock _lock = new();
    private readonly Dictionary<TopicPartition, PartitionFetchState> _partitions = [];
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly ReplicaFetcherOptions _options;
    private readonly Func<int, EndPoint?> _resolveEndpoint;
    private readonly IConnectionFactory _connections;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private KafkaClientConnection? _connection;
    private short _fetchVersion;
    private short _offsetForLeaderEpochVersion;
    private Task _loop = Task.CompletedTask;
    private int _disposed;

    public ReplicaFetcher(int leaderId, ReplicaFetcherOptions options, Func<int, EndPoint?> resolveEndpoint, IConnectionFactory connections,
        TimeProvider time, ILogger logger, ReplicaFetcherStats? stats = null)
    {
        LeaderId = leaderId;
        Stats = stats ?? new ReplicaFetcherStats();
        _options = options;
        _resolveEndpoint = resolveEndpoint;
        _connections = connections;
        _time = time;
        _logger = logger;
    }

    /// <summary>The node fetched from.</summary>
    public int LeaderId { get; }

    /// <summary>The counters this fetcher adds to (shared by a manager's fetchers).</summary>
    public ReplicaFetcherStats Stats { get; }

    /// <summary>How many partitions this fetcher holds, idle ones included.</summary>
    public int PartitionCount
    {
        get
        {
            lock (_lock)
                return _partitions.Count;
        }
    }

    /// <summary>True while the loop runs (from <see cref="Start"/> to <see cref="DisposeAsync"/>).</summary>
    public bool IsRunning => !_loop.IsCompleted;

    /// <summary>Starts the loop.</summary>
    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    /// <summary>
    /// Adds partitions, or re-adds them: a newer leader epoch (or another replica object for the partition) starts it
    /// over with truncation, the same epoch changes nothing (a fenced or failed partition stays idle), an older one is
    /// ignored as stale.
    /// </summary>
    public void AddPartitions(IEnumerable<InitialFetchState> partitions)
    {
        lock (_lock)
        {
            foreach (InitialFetchState initial in partitions)
            {
                TopicPartition id = initial.Replica.Id;
                if (_partitions.TryGetValue(id, out PartitionFetchState? current) && ReferenceEquals(current.Replica, initial.Replica)
                    && initial.LeaderEpoch <= current.LeaderEpoch)
                    continue;
                _partitions[id] = new PartitionFetchState(initial);
                ReplicaFetcherLog.PartitionAdded(_logger, LeaderId, id, initial.LeaderEpoch);
            }
        }
        Wake();
    }

    /// <summary>Removes partitions; after it returns none of them is appended to or truncated by this fetcher.</summary>
    public void RemovePartitions(IEnumerable<TopicPartition> partitions)
    {
        lock (_lock)
        {
            foreach (TopicPartition id in partitions)
            {
                if (_partitions.Remove(id))
                    ReplicaFetcherLog.PartitionRemoved(_logger, LeaderId, id);
            }
        }
        Wake();
    }

    /// <summary>The partition's fetch state, or null when this fetcher does not hold it.</summary>
    public PartitionFetchState? GetState(TopicPartition id)
    {
        lock (_lock)
            return _partitions.GetValueOrDefault(id);
    }

    /// <summary>The partitions' fetch states, for metrics.</summary>
    public PartitionFetchState[] States()
    {
        lock (_lock)
            return [.. _partitions.Values];
    }

    private void Wake()
    {
        lock (_lock)
        {
            if (_wake.CurrentCount == 0)
                _wake.Release();
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // A network failure, a leader that cannot serve replication, or a bug: never end the loop for it.
                Stats.ConnectionFailed();
                ReplicaFetcherLog.ConnectionFailed(_logger, LeaderId, (long)_options.Backoff.TotalMilliseconds, e.Message);
                await DropConnectionAsync().ConfigureAwait(false);
                try
                {
                    await Task.Delay(_options.Backoff, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        await DropConnectionAsync().ConfigureAwait(false);
    }

    /// <summary>One round: truncate the partitions that need it, then fetch for those ready; or wait for work.</summary>
    private async ValueTask RunOnceAsync(CancellationToken cancellationToken)
    {
        var truncating = new List<PartitionFetchState>();
        var fetching = new List<PartitionFetchState>();
        long now = _time.GetTimestamp();
        long nextDue = long.MaxValue;
        lock (_lock)
        {
            foreach (PartitionFetchState state in _partitions.Values)
            {
                if (state.IsIdle)
                    continue;
                if (state.DelayedUntil > now)
                    nextDue = Math.Min(nextDue, state.DelayedUntil);
                else
                    (state.Phase == FetchPhase.Truncating ? truncating : fetching).Add(state);
            }
        }
        if (truncating.Count == 0 && fetching.Count == 0)
        {
            TimeSpan wait = nextDue == long.MaxValue ? Timeout.InfiniteTimeSpan : _time.GetElapsedTime(now, nextDue);
            await WaitForWorkAsync(wait, cancellationToken).ConfigureAwait(false);
            return;
        }
        KafkaClientConnection connection = await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
        if (truncating.Count > 0)
            await TruncateAsync(connection, truncating, cancellationToken).ConfigureAwait(false);
        if (fetching.Count > 0)
            await FetchAsync(connection, fetching, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits for a partition to be added or removed, or for <paramref name="wait"/> (on the TimeProvider).</summary>
    private async ValueTask WaitForWorkAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        if (wait == Timeout.InfiniteTimeSpan)
        {
            await _wake.WaitAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        using var timer = new CancellationTokenSource(wait, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        try
        {
            await _wake.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The delay of a partition ended.
        }
    }

    /// <summary>The open connection, or a new one with the versions the leader serves.</summary>
    /// <exception cref="NetworkException">No endpoint is known, the connection fails, or the leader cannot serve a follower.</exception>
    private async ValueTask<KafkaClientConnection> EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        if (_connection is { IsUsable: true } open)
            return open;
        await DropConnectionAsync().ConfigureAwait(false);
        EndPoint endpoint = _resolveEndpoint(LeaderId) ?? throw new NetworkException($"No endpoint is known for leader {LeaderId}.");
        int maxResponseBytes = (int)Math.Min(int.MaxValue, (long)_options.ResponseMaxBytes + ResponseHeadroomBytes);
        KafkaClientConnection connection = await KafkaClientConnection.ConnectAsync(_connections, endpoint, _options.ClientId, maxResponseBytes,
            _time, cancellationToken).ConfigureAwait(false);
        try
        {
            var versions = await connection.SendAsync<ApiVersionsRequest, ApiVersionsResponse>(
                new ApiVersionsRequest { ClientSoftwareName = "LogStore", ClientSoftwareVersion = "1" }, 3, _options.RequestTimeout, cancellationToken)
                .ConfigureAwait(false);
            _fetchVersion = Negotiate(versions, ApiKey.Fetch, 12, 16);
            _offsetForLeaderEpochVersion = Negotiate(versions, ApiKey.OffsetForLeaderEpoch, 3, 4);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        _connection = connection;
        ReplicaFetcherLog.Connected(_logger, LeaderId, endpoint, _fetchVersion);
        return connection;
    }

    /// <summary>The newest version of <paramref name="apiKey"/> both sides speak, at least <paramref name="min"/>.</summary>
    private short Negotiate(ApiVersionsResponse versions, ApiKey apiKey, short min, short max)
    {
        if (versions.ErrorCode != ErrorCode.None)
            throw new NetworkException($"Leader {LeaderId} answered ApiVersions with {versions.ErrorCode}.");
        foreach (ApiVersionsResponse.ApiVersion range in versions.ApiKeys)
        {
            if (range.ApiKey == apiKey && range.MaxVersion >= min && range.MinVersion <= max)
                return Math.Min(range.MaxVersion, max);
        }
        throw new NetworkException($"Leader {LeaderId} does not serve {apiKey} v{min}–v{max}, which a follower needs.");
    }

    private async ValueTask DropConnectionAsync()
    {
        KafkaClientConnection? connection = _connection;
        _connection = null;
        if (connection is null)
            return;
        try
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or ConnectionAbortedException)
        {
            // Already broken: nothing more to release.
        }
    }

    /// <summary>True while <paramref name="state"/> is the partition's current state in <paramref name="phase"/>. Under the lock.</summary>
    private bool IsCurrent(PartitionFetchState state, FetchPhase phase) =>
        _partitions.TryGetValue(state.Id, out PartitionFetchState? current) && ReferenceEquals(current, state) && state.Phase == phase;

    /// <summary>Retries the partition after the backoff (a short one when the leader has not applied the image naming
    /// it yet: Kafka, too, retries NOT_LEADER_OR_FOLLOWER rather than waiting for a new assignment). Under the lock.</summary>
    private void Delay(PartitionFetchState state, ErrorCode error)
    {
        Stats.PartitionError();
        TimeSpan backoff = error is ErrorCode.UnknownLeaderEpoch or ErrorCode.NotLeaderOrFollower && _options.UnknownLeaderEpochBackoff < _options.Backoff
            ? _options.UnknownLeaderEpochBackoff
            : _options.Backoff;
        Backoff(state, backoff);
        ReplicaFetcherLog.PartitionError(_logger, state.Id, LeaderId, error.ToString(), (long)backoff.TotalMilliseconds);
    }

    /// <summary>Retries the partition after the backoff, without a log line. Under the lock.</summary>
    private void Backoff(PartitionFetchState state) => Backoff(state, _options.Backoff);

    private void Backoff(PartitionFetchState state, TimeSpan backoff) =>
        state.DelayedUntil = _time.GetTimestamp() + (long)(backoff.TotalSeconds * _time.TimestampFrequency);

    /// <summary>Idles the partition until its owner re-adds it in a newer epoch. Under the lock.</summary>
    private void Fence(PartitionFetchState state, ErrorCode error)
    {
        state.Phase = FetchPhase.Fenced;
        Stats.PartitionError();
        ReplicaFetcherLog.Fenced(_logger, state.Id, LeaderId, error.ToString(), state.LeaderEpoch);
    }

    /// <summary>Stops the partition: retrying would not help. Under the lock.</summary>
    private void Fail(PartitionFetchState state, Exception reason)
    {
        state.Phase = FetchPhase.Failed;
        Stats.PartitionError();
        ReplicaFetcherLog.PartitionFailed(_logger, state.Id, LeaderId, SafeLogEnd(state), reason);
    }

    private static long SafeLogEnd(PartitionFetchState state)
    {
        try
        {
            return state.Replica.LogEndOffset;
        }
        catch (ObjectDisposedException)
        {
            return -1;
        }
    }

    /// <summary>Stops the loop (bounded: it waits up to 30 s for a request in flight to be cancelled) and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.WaitAsync(StopTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            ReplicaFetcherLog.StopTimedOut(_logger, LeaderId, (long)StopTimeout.TotalMilliseconds);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }

    public override string ToString() => $"ReplicaFetcher(leader {LeaderId}, {PartitionCount} partitions)";
}
