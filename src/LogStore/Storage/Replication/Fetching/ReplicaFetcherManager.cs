using System.Net;
using LogStore.Cluster.Node;
using LogStore.Network.Transport;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace LogStore.Storage.Replication.Fetching;

/// <summary>
/// The follower side of replication on one node (Kafka's <c>ReplicaFetcherManager</c>): one <see cref="ReplicaFetcher"/>
/// per leader node, each partition in exactly one of them. The owner (the broker, applying the controller's images) adds
/// a partition when this node becomes its follower and removes it when it stops following. Leaders' endpoints come from
/// the owner's resolver, looked up again at every reconnection, so a leader that moved is found; connections come from
/// the given factory (TCP, TLS or in-memory).
/// </summary>
/// <remarks>Thread-safe. Disposing stops every fetcher and waits for their loops (bounded).</remarks>
internal sealed class ReplicaFetcherManager : IFollowerFetchers
{
    private readonly Lock _lock = new();
    private readonly Dictionary<int, ReplicaFetcher> _fetchers = [];
    private readonly Dictionary<TopicPartition, ReplicaFetcher> _fetcherOf = [];
    private readonly ReplicaFetcherOptions _options;
    private readonly Func<int, EndPoint?> _resolveEndpoint;
    private readonly IConnectionFactory _connections;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private bool _disposed;

    /// <exception cref="ArgumentOutOfRangeException">An option out of its range.</exception>
    public ReplicaFetcherManager(ReplicaFetcherOptions options, Func<int, EndPoint?> resolveEndpoint, IConnectionFactory connections,
        TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(resolveEndpoint);
        ArgumentNullException.ThrowIfNull(connections);
        options.Validate();
        _options = options;
        _resolveEndpoint = resolveEndpoint;
        _connections = connections;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// The fetchers of a cluster node: this node's id, <see cref="ReplicationOptions.FlushBeforeAcknowledge"/> as
    /// <see cref="ReplicaFetcherOptions.FlushBeforeFetch"/>, its request timeout, and leaders reached at their
    /// <see cref="ClusterNode.Endpoint"/> through the node's peer transport (TCP by default, TLS under peer TLS).
    /// </summary>
    public static ReplicaFetcherManager Create(Broker broker, ReplicationOptions options)
    {
        var endpoints = new Dictionary<int, EndPoint>();
        foreach (ClusterNode node in options.Nodes)
            endpoints[node.NodeId] = node.Endpoint;
        return new ReplicaFetcherManager(new ReplicaFetcherOptions
        {
            NodeId = options.NodeId,
            FlushBeforeFetch = options.FlushBeforeAcknowledge,
            RequestTimeout = options.RequestTimeout,
        }, id => endpoints.GetValueOrDefault(id), Cluster.Node.PeerTransport.Connections(broker, options), broker.Options.TimeProvider, broker.Logger);
    }

    /// <summary>Counters over every fetcher of this manager, for the broker's meter.</summary>
    public ReplicaFetcherStats Stats { get; } = new();

    /// <summary>The running fetchers, one per leader with partitions (or idle since its last partition left).</summary>
    public int FetcherCount
    {
        get
        {
            lock (_lock)
                return _fetchers.Count;
        }
    }

    /// <summary>The largest <see cref="PartitionFetchState.Lag"/> of the partitions followed (Kafka's
    /// <c>ReplicaFetcherManager.MaxLag</c>), 0 without any.</summary>
    public long MaxLag
    {
        get
        {
            long max = 0;
            foreach (PartitionFetchState state in States())
                max = Math.Max(max, state.Lag);
            return max;
        }
    }

    /// <summary>
    /// Follows <paramref name="partitions"/> from <paramref name="leaderId"/>: each leaves the fetcher of its previous
    /// leader, if any, and joins this leader's (started on first use). See <see cref="ReplicaFetcher.AddPartitions"/> for
    /// what re-adding in the same or a newer epoch does.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The manager was disposed.</exception>
    public void AddPartitions(int leaderId, IEnumerable<InitialFetchState> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_fetchers.TryGetValue(leaderId, out ReplicaFetcher? fetcher))
            {
                fetcher = new ReplicaFetcher(leaderId, _options, _resolveEndpoint, _connections, _time, _logger, Stats);
                _fetchers[leaderId] = fetcher;
                fetcher.Start();
            }
            var added = new List<InitialFetchState>();
            foreach (InitialFetchState partition in partitions)
            {
                TopicPartition id = partition.Replica.Id;
                if (_fetcherOf.TryGetValue(id, out ReplicaFetcher? previous) && previous != fetcher)
                    previous.RemovePartitions([id]);
                _fetcherOf[id] = fetcher;
                added.Add(partition);
            }
            fetcher.AddPartitions(added);
        }
    }

    /// <summary><see cref="IFollowerFetchers"/>: fetches <paramref name="replica"/> from <paramref name="leaderId"/> in
    /// <paramref name="leaderEpoch"/>, truncating by epoch first (topics named by name: Fetch v12).</summary>
    public void Follow(PartitionReplica replica, int leaderId, int leaderEpoch) =>
        AddPartitions(leaderId, [new InitialFetchState(replica, leaderEpoch)]);

    /// <summary><see cref="IFollowerFetchers"/>: stops fetching <paramref name="replica"/>.</summary>
    public void Unfollow(PartitionReplica replica) => RemovePartitions([replica.Id]);

    /// <summary>Stops following <paramref name="partitions"/>; once it returns no fetcher appends to or truncates them.
    /// Partitions not followed are ignored.</summary>
    public void RemovePartitions(IEnumerable<TopicPartition> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        lock (_lock)
        {
            foreach (TopicPartition id in partitions)
            {
                if (_fetcherOf.Remove(id, out ReplicaFetcher? fetcher))
                    fetcher.RemovePartitions([id]);
            }
        }
    }

    /// <summary>The partition's fetch state (phase, lag), or null when it is not followed.</summary>
    public PartitionFetchState? GetState(TopicPartition id)
    {
        lock (_lock)
            return _fetcherOf.TryGetValue(id, out ReplicaFetcher? fetcher) ? fetcher.GetState(id) : null;
    }

    /// <summary>The partition's lag behind its leader (see <see cref="PartitionFetchState.Lag"/>); false when it is not followed.</summary>
    public bool TryGetLag(TopicPartition id, out long lag)
    {
        PartitionFetchState? state = GetState(id);
        lag = state?.Lag ?? 0;
        return state is not null;
    }

    /// <summary>Every followed partition's state.</summary>
    public List<PartitionFetchState> States()
    {
        ReplicaFetcher[] fetchers;
        lock (_lock)
            fetchers = [.. _fetchers.Values];
        var states = new List<PartitionFetchState>();
        foreach (ReplicaFetcher fetcher in fetchers)
            states.AddRange(fetcher.States());
        return states;
    }

    /// <summary>Stops the fetchers left without partitions (Kafka's <c>shutdownIdleFetcherThreads</c>).</summary>
    public async ValueTask ShutdownIdleFetchersAsync()
    {
        var idle = new List<ReplicaFetcher>();
        lock (_lock)
        {
            foreach ((int leaderId, ReplicaFetcher fetcher) in _fetchers)
            {
                if (fetcher.PartitionCount == 0)
                    idle.Add(fetcher);
            }
            foreach (ReplicaFetcher fetcher in idle)
                _fetchers.Remove(fetcher.LeaderId);
        }
        foreach (ReplicaFetcher fetcher in idle)
            await fetcher.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Stops every fetcher and waits for their loops, each bounded.</summary>
    public async ValueTask DisposeAsync()
    {
        ReplicaFetcher[] fetchers;
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
            fetchers = [.. _fetchers.Values];
            _fetchers.Clear();
            _fetcherOf.Clear();
        }
        var stopping = new Task[fetchers.Length];
        for (int i = 0; i < fetchers.Length; i++)
            stopping[i] = fetchers[i].DisposeAsync().AsTask();
        await Task.WhenAll(stopping).ConfigureAwait(false);
    }
}
