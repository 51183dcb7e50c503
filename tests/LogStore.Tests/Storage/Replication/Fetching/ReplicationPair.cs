using System.Net;
using LogStore.Network.Transport;
using LogStore.Storage.Replication;
using LogStore.Storage.Replication.Fetching;
using LogStore.Tests.Diagnostics;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Storage.Replication.Fetching;

/// <summary>
/// Two brokers in one process: the leader (node 1) serves the Kafka protocol on an in-memory network, the follower
/// (node 2) fetches from it with a <see cref="ReplicaFetcherManager"/> over the same network. Each has its own data
/// directory, deleted on dispose.
/// </summary>
internal sealed class ReplicationPair : IAsyncDisposable
{
    public const int LeaderId = 1;
    public const int FollowerId = 2;
    public static readonly IPEndPoint LeaderEndpoint = new(IPAddress.Loopback, 19301);
    public static readonly IPEndPoint FollowerEndpoint = new(IPAddress.Loopback, 19302);

    private readonly TempDirectory _leaderDir = new();
    private readonly TempDirectory _followerDir = new();

    private ReplicationPair()
    {
    }

    public InMemoryNetwork Network { get; } = new();

    public CapturingLoggerFactory Logs { get; } = new();

    public Broker Leader { get; private set; } = null!;

    public Broker Follower { get; private set; } = null!;

    public ReplicaFetcherManager Fetchers { get; private set; } = null!;

    public CancellationTokenSource Timeout { get; } = new(TimeSpan.FromSeconds(60));

    public static async Task<ReplicationPair> StartAsync(bool flushBeforeFetch = false, int maxBytesPerPartition = 1 << 20)
    {
        var pair = new ReplicationPair();
        pair.Leader = await Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = pair._leaderDir.Path,
            KafkaTransport = pair.Network,
            KafkaListener = new KafkaListenerOptions { Endpoint = LeaderEndpoint },
        });
        pair.Follower = await Broker.OpenAsync(new BrokerOptions { DataDirectory = pair._followerDir.Path });
        pair.Fetchers = new ReplicaFetcherManager(new ReplicaFetcherOptions
        {
            NodeId = FollowerId,
            MaxWait = TimeSpan.FromMilliseconds(100),
            Backoff = TimeSpan.FromMilliseconds(20),
            RequestTimeout = TimeSpan.FromSeconds(10),
            FlushBeforeFetch = flushBeforeFetch,
            MaxBytesPerPartition = maxBytesPerPartition,
        }, id => id == LeaderId ? LeaderEndpoint : null, pair.Network.For(FollowerEndpoint), TimeProvider.System, pair.Logs.CreateLogger("LogStore"));
        return pair;
    }

    /// <summary>The topic on both nodes, with the same config; node 1 leads it in epoch 0 (see <see cref="Lead"/>).</summary>
    public async Task<(Partition Leader, Partition Follower)> CreateTopicAsync(string name, TopicConfig config)
    {
        Topic leader = await Leader.CreateTopicAsync(name, config);
        Topic follower = await Follower.CreateTopicAsync(name, config);
        Lead(leader.Partitions[0], 0);
        return (leader.Partitions[0], follower.Partitions[0]);
    }

    /// <summary>Node 1 leads <paramref name="leader"/> in <paramref name="epoch"/> with node 2 as its follower, out of
    /// the ISR until it catches up (then the leader adds it itself: no controller here).</summary>
    public static void Lead(Partition leader, int epoch) =>
        leader.Replica.BecomeLeader(epoch, partitionEpoch: epoch, replicas: [LeaderId, FollowerId], isr: [LeaderId], localNodeId: LeaderId);

    /// <summary>Makes the follower's replica follow node 1 in <paramref name="epoch"/> and hands it to the fetchers.</summary>
    public void Follow(Partition follower, int epoch)
    {
        PartitionReplica replica = follower.Replica;
        replica.BecomeFollower(epoch, LeaderId);
        Fetchers.AddPartitions(LeaderId, [new InitialFetchState(replica, epoch)]);
    }

    /// <summary>Waits (bounded by <see cref="Timeout"/>) until <paramref name="condition"/> holds.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        while (!condition())
        {
            if (Timeout.IsCancellationRequested)
                Assert.Fail($"timed out waiting until {what}");
            // A stopped partition never gets there: fail at once with why it stopped.
            if (Fetchers.States().Find(s => s.Phase == FetchPhase.Failed) is { } failed)
                Assert.Fail($"{failed.Id} stopped while waiting until {what}: {Logs.WithId(6309).LastOrDefault()?.Exception?.Message}");
            await Task.Delay(5);
        }
    }

    /// <summary>Waits until the follower's log ends where the leader's does.</summary>
    public Task CaughtUpAsync(Partition leader, Partition follower) =>
        WaitUntilAsync(() => follower.LogEndOffset == leader.LogEndOffset && follower.HighWatermark == leader.HighWatermark,
            $"{follower.Id} catches up with the leader's log end {leader.LogEndOffset}");

    /// <summary>Asserts both logs hold the same segment files, byte for byte.</summary>
    public static void AssertSameSegments(Partition leader, Partition follower)
    {
        IReadOnlyList<SegmentInfo> expected = leader.Segments;
        IReadOnlyList<SegmentInfo> actual = follower.Segments;
        Assert.That(actual.Select(s => (s.BaseOffset, s.NextOffset, s.SizeInBytes)), Is.EqualTo(expected.Select(s => (s.BaseOffset, s.NextOffset, s.SizeInBytes))));
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.That(Path.GetFileName(actual[i].LogPath), Is.EqualTo(Path.GetFileName(expected[i].LogPath)));
            Assert.That(ReadShared(actual[i].LogPath), Is.EqualTo(ReadShared(expected[i].LogPath)), $"segment {expected[i].BaseOffset}");
        }
    }

    private static byte[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    public async ValueTask DisposeAsync()
    {
        await Fetchers.DisposeAsync();
        await Follower.DisposeAsync();
        await Leader.DisposeAsync();
        Timeout.Dispose();
        _followerDir.Dispose();
        _leaderDir.Dispose();
    }
}
