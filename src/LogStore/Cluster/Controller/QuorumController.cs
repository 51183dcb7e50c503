using System.Net;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using LogStore.Cluster.Metadata;
using LogStore.Cluster.Records;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LogStore.Cluster.Controller;

/// <summary>
/// One node's controller on DotNext.Net.Cluster's Raft (Kafka's QuorumController): the Raft leader is the active
/// controller; its commands (register, heartbeat, create topic, alter ISR, elect leader, fence) read the image, decide,
/// and replicate the decision as one log entry of <see cref="MetadataRecord"/>s, which every node's
/// <see cref="ControllerStateMachine"/> applies. Raft runs over the connection factories of
/// <see cref="ControllerOptions"/> (our TCP, TLS or in-memory transports). Each entry is flushed to the write-ahead log
/// (fsync) before it counts (FlushOnCommit). Commands run one at a time; on a node that is not the leader they throw
/// <see cref="NotControllerException"/>. Thread-safe.
/// </summary>
internal sealed partial class QuorumController : IClusterMetadata, IAsyncDisposable
{
    private readonly ControllerOptions _options;
    private readonly ControllerStateMachine _stateMachine;
    private readonly WriteAheadLog _wal;
    private readonly RaftCluster _raft;
    private readonly BrokerHeartbeatManager _heartbeats;
    private readonly SemaphoreSlim _commands = new(1, 1);
    private readonly ITimer _sessionTimer;
    private readonly ILogger _logger;
    private readonly Lock _leaderLock = new();
    private EndPoint? _lastLeader;
    private (EndPoint Leader, long At)? _leaderLost;
    private int _disposed;

    private QuorumController(ControllerOptions options, ControllerStateMachine stateMachine, WriteAheadLog wal, RaftCluster raft)
    {
        _options = options;
        _stateMachine = stateMachine;
        _wal = wal;
        _raft = raft;
        _heartbeats = new BrokerHeartbeatManager(options.TimeProvider, options.SessionTimeout);
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("LogStore.Controller");
        _raft.LeaderChanged += OnLeaderChanged;
        // One-shot, rescheduled at the next session's end after each check (and when this node becomes active).
        _sessionTimer = options.TimeProvider.CreateTimer(static s => ((QuorumController)s!).OnSessionTimer(), this,
            options.SessionTimeout, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Opens the write-ahead log (restoring the latest snapshot, then the entries after it) and joins the
    /// Raft group of <see cref="ControllerOptions.Voters"/>.</summary>
    public static async ValueTask<QuorumController> StartAsync(ControllerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var snapshots = Directory.CreateDirectory(Path.Combine(options.DataDirectory, "snapshots"));
        var stateMachine = new ControllerStateMachine(snapshots, options.SnapshotInterval);
        // DotNext reads the restored snapshot when the log opens, so restore first.
        await stateMachine.RestoreAsync(cancellationToken).ConfigureAwait(false);
        var wal = new WriteAheadLog(new WriteAheadLog.Options
        {
            Location = Path.Combine(options.DataDirectory, "wal"),
            // FlushOnCommit is always on in DotNext 6.12 (the property is obsolete): every entry is fsynced before it counts.
        }, stateMachine);
        var configuration = new RaftCluster.CustomTransportConfiguration(options.EndPoint, options.ListenerFactory, options.ConnectionFactory)
        {
            ColdStart = false,
            ConfigurationStorage = null,
            LowerElectionTimeout = options.LowerElectionTimeout,
            UpperElectionTimeout = options.UpperElectionTimeout,
            RequestTimeout = TimeSpan.FromMilliseconds(options.UpperElectionTimeout),
            ConnectTimeout = TimeSpan.FromMilliseconds(options.LowerElectionTimeout),
            LoggerFactory = options.LoggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
        };
        // A static voter set, the same on every node: membership changes are not offered.
        var voters = ((InMemoryClusterConfigurationStorage<EndPoint>)configuration.ConfigurationStorage!).CreateInitialConfigurationBuilder();
        foreach (var voter in options.Voters)
            voters.Add(voter);
        voters.Build();
        var raft = new RaftCluster(configuration) { AuditTrail = wal };
        var controller = new QuorumController(options, stateMachine, wal, raft);
        try
        {
            await raft.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await controller.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return controller;
    }

    public ClusterImage Image => _stateMachine.Image;

    public event Action<ClusterImage>? Changed
    {
        add => _stateMachine.Changed += value;
        remove => _stateMachine.Changed -= value;
    }

    /// <summary>This controller's own address.</summary>
    public EndPoint EndPoint => _options.EndPoint;

    /// <summary>Whether this node is the active controller (the Raft leader) now.</summary>
    public bool IsActive => _raft.Leader is { IsRemote: false };

    /// <summary>The active controller's address, or null while none is elected.</summary>
    public EndPoint? ActiveController => _raft.Leader?.EndPoint;

    /// <summary>Raft's current term (Kafka's controller epoch).</summary>
    public long Term => _raft.Term;

    /// <summary>Runs one command: waits until the image holds every committed entry, lets <paramref name="decide"/>
    /// compute records from it (it throws to refuse), replicates them as one entry and waits until it is applied
    /// here. The image after the command is returned.</summary>
    private async ValueTask<ClusterImage> ExecuteAsync(Func<ClusterImage, List<MetadataRecord>> decide, CancellationToken cancellationToken)
    {
        await _commands.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!IsActive)
                throw NotController();
            CancellationToken leadership;
            try
            {
                leadership = _raft.LeadershipToken;
            }
            catch (ObjectDisposedException)
            {
                throw NotController();
            }
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, leadership);
            try
            {
                await _raft.ApplyReadBarrierAsync(linked.Token).ConfigureAwait(false);
                var records = decide(Image);
                if (records.Count == 0)
                    return Image;
                var entry = new BinaryLogEntry { Term = _raft.Term, Content = MetadataRecordSerde.Serialize(records) };
                await _raft.ReplicateAsync(entry, linked.Token).ConfigureAwait(false);
                await _raft.ApplyReadBarrierAsync(linked.Token).ConfigureAwait(false);
                return Image;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw NotController();
            }
            catch (Exception e) when (e is DotNext.Net.Cluster.Consensus.Raft.NotLeaderException or QuorumUnreachableException)
            {
                // DotNext's own exception (not LogStore.NotLeaderException): leadership was lost under the command.
                throw NotController();
            }
        }
        finally
        {
            _commands.Release();
        }
    }

    private NotControllerException NotController() => new(_raft.Leader is { IsRemote: true } leader ? leader.EndPoint.ToString() : null);

    private void OnLeaderChanged(ICluster cluster, IClusterMember? leader)
    {
        long now = _options.TimeProvider.GetTimestamp();
        lock (_leaderLock)
        {
            if (leader is null)
            {
                // This node's election timer ran out: the leader it knew sent nothing for an election timeout at least.
                if (_lastLeader is { } lost && _leaderLost is null)
                    _leaderLost = (lost, now);
                return;
            }
            if (!leader.IsRemote)
            {
                // Sessions are this controller's memory: a new controller gives every node a full session from now,
                // except the node whose controller it replaces. That node's heartbeats went to its own controller,
                // which was alive (for this node) until its last Raft message, an election timeout before the loss at
                // least: its session counts from there, as if it had heart-beaten then. A node merely paused (GC, a
                // loaded machine) keeps the whole session a node that is not a controller has.
                _heartbeats.Reset();
                if (_leaderLost is { } loss && !Equals(loss.Leader, _options.EndPoint)
                    && _options.VoterNodeIds.TryGetValue(loss.Leader, out int formerNodeId))
                {
                    long electionTimeout = (long)(_options.LowerElectionTimeout / 1000.0 * _options.TimeProvider.TimestampFrequency);
                    _heartbeats.Seed(formerNodeId, loss.At - electionTimeout);
                }
                BecameActive(_logger, _options.EndPoint, _raft.Term);
                RescheduleSessionCheck(_heartbeats.UntilNextExpiry(Image));
            }
            _lastLeader = leader.EndPoint;
            _leaderLost = null;
        }
    }

    private void OnSessionTimer()
    {
        if (Volatile.Read(ref _disposed) != 0)
            return;
        if (!IsActive)
        {
            // Becoming active reschedules; this is only a safety net.
            RescheduleSessionCheck(_options.SessionTimeout / 4);
            return;
        }
        // The expiry test runs on the current image first, so that a check finding nothing replicates nothing.
        if (_heartbeats.Expired(Image).Count == 0)
        {
            RescheduleSessionCheck(_heartbeats.UntilNextExpiry(Image));
            return;
        }
        _ = FenceExpiredSafelyAsync();
    }

    private void RescheduleSessionCheck(TimeSpan due)
    {
        if (Volatile.Read(ref _disposed) != 0)
            return;
        // A millisecond past the expiry (never a busy loop); never later than a session timeout.
        due = TimeSpan.FromTicks(Math.Clamp(due.Ticks, 0, _options.SessionTimeout.Ticks)) + TimeSpan.FromMilliseconds(1);
        try
        {
            _sessionTimer.Change(due, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Stopping.
        }
    }

    private async Task FenceExpiredSafelyAsync()
    {
        try
        {
            await FenceExpiredNodesAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NotControllerException or ObjectDisposedException or OperationCanceledException)
        {
            // Leadership moved or the controller stops: the next controller checks sessions itself.
        }
        finally
        {
            RescheduleSessionCheck(IsActive ? _heartbeats.UntilNextExpiry(Image) : _options.SessionTimeout / 4);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _sessionTimer.DisposeAsync().ConfigureAwait(false);
        _raft.LeaderChanged -= OnLeaderChanged;
        try
        {
            await _raft.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }
        await _raft.DisposeAsync().ConfigureAwait(false);
        await _wal.DisposeAsync().ConfigureAwait(false);
        await _stateMachine.DisposeAsync().ConfigureAwait(false);
        _commands.Dispose();
    }

    [LoggerMessage(EventId = 7020, Level = LogLevel.Information, Message = "The controller at {EndPoint} is active in term {Term}.")]
    private static partial void BecameActive(ILogger logger, EndPoint endPoint, long term);

    [LoggerMessage(EventId = 7022, Level = LogLevel.Information, Message = "Node {NodeId} (epoch {NodeEpoch}) shuts down: fenced, its leaderships moved.")]
    private static partial void ShutDownNode(ILogger logger, int nodeId, long nodeEpoch);

    [LoggerMessage(EventId = 7021, Level = LogLevel.Information, Message = "Node {NodeId} (epoch {NodeEpoch}) fenced: its session expired.")]
    private static partial void FencedNode(ILogger logger, int nodeId, long nodeEpoch);
}
