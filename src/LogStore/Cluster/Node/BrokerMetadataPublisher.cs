using System.Threading.Channels;
using LogStore.Cluster.Metadata;
using LogStore.Storage.Replication;
using Microsoft.Extensions.Logging;

namespace LogStore.Cluster.Node;

/// <summary>
/// Makes this node's replicas what the controller's image says (Kafka's BrokerMetadataPublisher and
/// ReplicaManager.applyDelta): creates the local logs of new topics with the controller's topic id and settings, makes
/// this node lead the partitions it leads (stopping their fetchers) and follow the leader of the others it holds, each
/// at the image's leader epoch. Images are applied one at a time on a loop of its own, never on Raft's thread; only
/// the newest waiting image is applied (each is a whole state). Thread-safe.
/// </summary>
internal sealed partial class BrokerMetadataPublisher : IAsyncDisposable
{
    private readonly Broker _broker;
    private readonly int _nodeId;
    private readonly IClusterMetadata _metadata;
    private readonly IFollowerFetchers _fetchers;
    private readonly IControllerChannel _channel;
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(30);
    private readonly TimeSpan _replicaLagTime;
    private readonly bool _flushBeforeAcknowledge;
    private readonly ILogger _logger;
    private readonly Channel<ClusterImage> _images = Channel.CreateBounded<ClusterImage>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _waitersLock = new();
    private readonly List<(Func<ClusterImage, bool> Ready, TaskCompletionSource<ClusterImage> Done)> _waiters = [];
    private volatile ClusterImage _applied = ClusterImage.Empty;
    private volatile ClusterImage _eligibility = ClusterImage.Empty;
    private Task _loop = Task.CompletedTask;
    // Doubles while applying keeps failing (a lasting fault logs less and less often); back to the first after a success.
    private TimeSpan _retryBackoff = FirstRetry;
    private readonly Func<long>? _registeredEpoch;
    private bool _caughtUp;

    /// <summary>A publisher for this node; with <paramref name="registeredEpoch"/> (the epoch of this process's
    /// registration) it applies no image before one that holds that registration (see <see cref="CaughtUp"/>).</summary>
    public BrokerMetadataPublisher(Broker broker, int nodeId, IClusterMetadata metadata, IFollowerFetchers fetchers, IControllerChannel channel,
        TimeSpan replicaLagTime, ILogger logger, bool flushBeforeAcknowledge = false, Func<long>? registeredEpoch = null)
    {
        (_broker, _nodeId, _metadata, _fetchers, _channel, _replicaLagTime, _logger) = (broker, nodeId, metadata, fetchers, channel, replicaLagTime, logger);
        _flushBeforeAcknowledge = flushBeforeAcknowledge;
        _registeredEpoch = registeredEpoch;
        _caughtUp = registeredEpoch is null;
    }

    /// <summary>
    /// Whether <paramref name="image"/> may be applied: any, once one holding this process's registration was (Kafka
    /// publishes a broker's metadata only after its initial catch-up with the quorum). Before that, an image is what an
    /// earlier incarnation knew (replayed from its metadata log, or the current one of a controller this node cannot
    /// reach): a node restarted after losing its log's tail would lead from it, take writes at offsets others hold
    /// acknowledged, and have the followers truncate to it. The image with the registration already reflects the
    /// controller's answer to an unclean restart (KIP-966: out of the ISR, no leadership).
    /// </summary>
    private bool CaughtUp(ClusterImage image)
    {
        if (!_caughtUp && _registeredEpoch is { } registered
            && image.Nodes.TryGetValue(_nodeId, out NodeRegistration? node) && node.NodeEpoch >= registered())
            _caughtUp = true;
        return _caughtUp;
    }

    /// <summary>Raised on the publisher's loop after a replica of this node became leader or follower (a new leader epoch
    /// included), with the partition's new state: the group coordinator loads or unloads the groups of an offsets
    /// partition on it. Handlers must be quick and must not throw.</summary>
    public event Action<PartitionReplica, PartitionRegistration>? RoleChanged;

    /// <summary>The last image this node's replicas were brought to.</summary>
    public ClusterImage Applied => _applied;

    /// <summary>Kafka's isReplicaIsrEligible for this node's leaders: a node the image being applied (or the last one)
    /// knows as fenced may not join an ISR, nor hold a high watermark back as about to join.</summary>
    private bool IsrEligible(int nodeId) => !(_eligibility.Nodes.TryGetValue(nodeId, out NodeRegistration? node) && node.Fenced);

    public void Start()
    {
        _metadata.Changed += OnChanged;
        OnChanged(_metadata.Image);
        _loop = RunAsync(_stopping.Token);
    }

    /// <summary>Waits until an applied image satisfies <paramref name="ready"/> and returns it.</summary>
    public Task<ClusterImage> WaitForAsync(Func<ClusterImage, bool> ready, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<ClusterImage>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waitersLock)
        {
            if (ready(_applied))
                return Task.FromResult(_applied);
            _waiters.Add((ready, done));
        }
        return done.Task.WaitAsync(cancellationToken);
    }

    private void OnChanged(ClusterImage image) => _images.Writer.TryWrite(image);

    private async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            await foreach (ClusterImage image in _images.Reader.ReadAllAsync(stopping).ConfigureAwait(false))
            {
                if (!CaughtUp(image))
                    continue;
                try
                {
                    await ApplyAsync(image, stopping).ConfigureAwait(false);
                    // A fetcher kept idle for a leader that later restarted held a broken connection; its first
                    // request failed and the fetch backoff (1 s) delayed that leader's first acks=all write.
                    await _fetchers.ShutdownIdleFetchersAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
                {
                    // A partition that cannot be brought up stays as it was, logged, and the latest image is tried again
                    // soon: a quiet cluster may send no new one, and whoever waits for this one would wait forever. Any
                    // failure, not only the expected ones: a loop that ended here would apply no image again.
                    ApplyFailed(_logger, image.Offset, e);
                    _ = RetryLaterAsync(stopping);
                    continue;
                }
                _applied = image;
                _retryBackoff = FirstRetry;
                CompleteWaiters(image);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task RetryLaterAsync(CancellationToken stopping)
    {
        try
        {
            TimeSpan backoff = _retryBackoff;
            _retryBackoff = backoff * 2 < LastRetry ? backoff * 2 : LastRetry;
            await Task.Delay(backoff, _broker.Time, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        OnChanged(_metadata.Image);
    }

    private async ValueTask ApplyAsync(ClusterImage image, CancellationToken cancellationToken)
    {
        _eligibility = image;
        foreach (TopicRegistration registration in image.Topics.Values)
        {
            Topic topic = await _broker.GetOrCreateReplicatedTopicAsync(registration, cancellationToken).ConfigureAwait(false);
            for (int p = 0; p < registration.Partitions.Length && p < topic.Partitions.Count; p++)
            {
                Partition partition = topic.Partitions[p];
                partition.Registration = registration.Partitions[p];
                if (!partition.IsOffline)
                    ApplyPartition(partition.Replica, registration.Partitions[p]);
            }
        }
    }

    private void ApplyPartition(PartitionReplica replica, PartitionRegistration state)
    {
        if (state.Leader == _nodeId)
        {
            if (replica.Role != ReplicaRole.Leader || replica.LeaderEpoch < state.LeaderEpoch)
            {
                _fetchers.Unfollow(replica);
                replica.UseController(_channel, _replicaLagTime, _flushBeforeAcknowledge, IsrEligible);
                replica.BecomeLeader(state.LeaderEpoch, state.PartitionEpoch, state.Replicas, state.Isr, _nodeId);
                BecameLeader(_logger, replica.Id, state.LeaderEpoch, string.Join(',', state.Isr));
                RoleChanged?.Invoke(replica, state);
            }
            else if (!replica.ApplyPartitionState(state.LeaderEpoch, state.PartitionEpoch, state.Replicas, state.Isr))
            {
                // The same state: a node fenced or unfenced elsewhere may still change who the high watermark waits for.
                replica.OnIsrEligibilityChanged();
            }
        }
        else if (state.IsReplica(_nodeId))
        {
            int? leader = state.Leader == PartitionRegistration.NoLeader ? null : state.Leader;
            if (replica.Role != ReplicaRole.Follower || replica.LeaderEpoch < state.LeaderEpoch || replica.LeaderId != leader)
            {
                _fetchers.Unfollow(replica);
                replica.BecomeFollower(Math.Max(state.LeaderEpoch, replica.LeaderEpoch), leader);
                if (leader is { } leaderId)
                    _fetchers.Follow(replica, leaderId, state.LeaderEpoch);
                BecameFollower(_logger, replica.Id, state.LeaderEpoch, state.Leader);
                RoleChanged?.Invoke(replica, state);
            }
        }
    }

    private void CompleteWaiters(ClusterImage image)
    {
        lock (_waitersLock)
        {
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Ready(image))
                {
                    _waiters[i].Done.TrySetResult(image);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _metadata.Changed -= OnChanged;
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        lock (_waitersLock)
        {
            foreach (var waiter in _waiters)
                waiter.Done.TrySetCanceled();
            _waiters.Clear();
        }
        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 7010, Level = LogLevel.Information, Message = "{Partition}: this node leads it in leader epoch {LeaderEpoch}, ISR [{Isr}].")]
    private static partial void BecameLeader(ILogger logger, TopicPartition partition, int leaderEpoch, string isr);

    [LoggerMessage(EventId = 7011, Level = LogLevel.Information, Message = "{Partition}: this node follows node {Leader} in leader epoch {LeaderEpoch}.")]
    private static partial void BecameFollower(ILogger logger, TopicPartition partition, int leaderEpoch, int leader);

    [LoggerMessage(EventId = 7012, Level = LogLevel.Error, Message = "Applying controller image {Offset} failed; the next image retries.")]
    private static partial void ApplyFailed(ILogger logger, long offset, Exception exception);
}
