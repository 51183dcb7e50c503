using LogStore.Cluster;
using LogStore.Cluster.Metadata;
using LogStore.Cluster.Node;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace LogStore.Tests.Cluster.Node;

/// <summary>A node's registration and heartbeats against a channel that fails in ways nobody listed, and against a controller
/// holding an epoch above the node's clock.</summary>
[TestFixture]
[CancelAfter(30_000)]
public sealed class BrokerLifecycleManagerTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    [Test]
    public async Task AHeartbeatFailingWithAnUnexpectedException_IsRetried_TheHeartbeatsGoOn(CancellationToken cancellationToken)
    {
        // A loop that ended on it would stop the heartbeats for good: the controller would keep the node fenced, out of
        // every ISR, while it runs.
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(1));
        var channel = new FailingChannel(new IOException("a socket failed in a way nobody listed"));
        await using var lifecycle = new BrokerLifecycleManager(1, "127.0.0.1", 9092, channel, Interval, TimeSpan.FromSeconds(5), time,
            NullLogger.Instance);
        lifecycle.Start();

        // Bounded steps of the fake clock, each past the next beat's delay once the loop has armed it.
        for (int step = 0; step < 10_000 && channel.Heartbeats < 4; step++)
        {
            time.Advance(Interval);
            await Task.Yield();
        }

        Assert.That(channel.Registrations, Is.EqualTo(1));
        Assert.That(channel.Heartbeats, Is.GreaterThanOrEqualTo(4), "the beats after the failed one were sent");
    }

    [Test]
    public async Task AClockBehindTheControllersEpoch_RegistersAboveItAtTheSecondAttempt(CancellationToken cancellationToken)
    {
        // The last incarnation registered an hour ahead of this clock (a VM restored from a snapshot, an NTP step back).
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(1));
        long controllerEpoch = time.GetUtcNow().AddHours(1).ToUnixTimeMilliseconds();
        var channel = new EpochCheckingChannel(controllerEpoch);
        await using var lifecycle = new BrokerLifecycleManager(1, "127.0.0.1", 9092, channel, Interval, TimeSpan.FromSeconds(5), time,
            NullLogger.Instance);
        lifecycle.Start();

        while (channel.Registered is null)
            await Task.Delay(1, cancellationToken);

        Assert.That(channel.Registered, Is.EqualTo(controllerEpoch + 1));
        Assert.That(channel.Attempts, Is.EqualTo(2), "one refusal, then above the epoch it named");
    }

    /// <summary>Refuses registrations at or below <paramref name="controllerEpoch"/>, naming it, as the controller does.</summary>
    private sealed class EpochCheckingChannel(long controllerEpoch) : IControllerChannel
    {
        private int _attempts;
        private long _registered = -1;

        public int Attempts => Volatile.Read(ref _attempts);

        public long? Registered => Interlocked.Read(ref _registered) is >= 0 and var epoch ? epoch : null;

        public ValueTask<NodeRegistration> RegisterNodeAsync(int nodeId, long nodeEpoch, string host, int port, bool cleanShutdown,
            CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _attempts);
            if (nodeEpoch <= controllerEpoch)
                return ValueTask.FromException<NodeRegistration>(new StaleBrokerEpochException(nodeId, nodeEpoch, controllerEpoch));
            Interlocked.Exchange(ref _registered, nodeEpoch);
            return ValueTask.FromResult(new NodeRegistration(nodeId, nodeEpoch, host, port, Fenced: false));
        }

        public ValueTask HeartbeatAsync(int nodeId, long nodeEpoch, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask<PartitionRegistration> AlterPartitionAsync(TopicPartition partition, int leaderId, int leaderEpoch, int partitionEpoch,
            IReadOnlyList<int> newIsr, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<TopicRegistration> CreateTopicAsync(string name, int partitions, int replicationFactor, bool uncleanLeaderElection,
            IReadOnlyList<(string Name, string Value)> configs, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    /// <summary>Registers; its first heartbeat fails with <paramref name="firstHeartbeatFailure"/>, the others succeed.</summary>
    private sealed class FailingChannel(Exception firstHeartbeatFailure) : IControllerChannel
    {
        private Exception? _failure = firstHeartbeatFailure;
        private int _registrations;
        private int _heartbeats;

        public int Registrations => Volatile.Read(ref _registrations);

        public int Heartbeats => Volatile.Read(ref _heartbeats);

        public ValueTask<NodeRegistration> RegisterNodeAsync(int nodeId, long nodeEpoch, string host, int port, bool cleanShutdown,
            CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _registrations);
            return ValueTask.FromResult(new NodeRegistration(nodeId, nodeEpoch, host, port, Fenced: false));
        }

        public ValueTask HeartbeatAsync(int nodeId, long nodeEpoch, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _heartbeats);
            return Interlocked.Exchange(ref _failure, null) is { } failure ? ValueTask.FromException(failure) : ValueTask.CompletedTask;
        }

        public ValueTask<PartitionRegistration> AlterPartitionAsync(TopicPartition partition, int leaderId, int leaderEpoch, int partitionEpoch,
            IReadOnlyList<int> newIsr, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<TopicRegistration> CreateTopicAsync(string name, int partitions, int replicationFactor, bool uncleanLeaderElection,
            IReadOnlyList<(string Name, string Value)> configs, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
