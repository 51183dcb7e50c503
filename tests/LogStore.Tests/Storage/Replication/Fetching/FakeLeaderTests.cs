using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using LogStore.Network;
using LogStore.Network.Server;
using LogStore.Network.Transport;
using LogStore.Protocol;
using LogStore.Storage.Replication.Fetching;
using LogStore.Tests.Diagnostics;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Storage.Replication.Fetching;

/// <summary>
/// The fetcher against a leader that misbehaves (a scripted Kafka listener): garbage instead of a fetch response drops
/// the connection and appends nothing; a batch whose CRC fails stops the partition after the good batches before it.
/// </summary>
public sealed class FakeLeaderTests : BrokerFixture
{
    private static readonly IPEndPoint LeaderEndpoint = new(IPAddress.Loopback, 19311);

    /// <summary>Answers ApiVersions from LogStore's table and Fetch with what the test scripts; counts requests.</summary>
    private sealed class ScriptedLeader(Func<RequestHeader, FetchRequest, ResponseFrame> fetch) : IKafkaRequestHandler
    {
        public ConcurrentDictionary<ApiKey, int> Requests { get; } = new();

        public ValueTask<ResponseFrame?> HandleAsync(ReadOnlySequence<byte> request, KafkaConnectionInfo connection, CancellationToken cancellationToken)
        {
            DecodedRequest decoded = RequestDecoder.TryDecode(request);
            RequestHeader header = decoded.Header!;
            Requests.AddOrUpdate(header.ApiKey, 1, (_, n) => n + 1);
            ResponseFrame response = decoded.Body switch
            {
                ApiVersionsRequest => ResponseEncoder.Encode(header, ApiVersionsResponse.FromTable()),
                FetchRequest fetchRequest => fetch(header, fetchRequest),
                _ => throw new KafkaProtocolException($"unexpected {header.ApiKey}"),
            };
            return ValueTask.FromResult<ResponseFrame?>(response);
        }

        public int Count(ApiKey key) => Requests.GetValueOrDefault(key);
    }

    private static async Task<KafkaListener> StartAsync(InMemoryNetwork network, ScriptedLeader leader, CapturingLoggerFactory logs)
    {
        var listener = new KafkaListener(new KafkaListenerOptions { Endpoint = LeaderEndpoint }, leader, network, TimeProvider.System, logs.CreateLogger("leader"));
        await listener.StartAsync();
        return listener;
    }

    private static ReplicaFetcherManager Manager(InMemoryNetwork network, CapturingLoggerFactory logs) => new(new ReplicaFetcherOptions
    {
        NodeId = 2,
        MaxWait = TimeSpan.FromMilliseconds(50),
        Backoff = TimeSpan.FromMilliseconds(10),
        RequestTimeout = TimeSpan.FromSeconds(10),
    }, _ => LeaderEndpoint, network, TimeProvider.System, logs.CreateLogger("LogStore"));

    /// <summary>A leader's batch: 5 records at <paramref name="baseOffset"/> in epoch 0.</summary>
    /// <summary>A response of the scripted leader: <paramref name="data"/> as topic t's only partition.</summary>
    private static FetchResponse OnePartition(FetchResponse.PartitionData data) =>
        new() { Topics = [new FetchResponse.TopicResponse { Name = "t", Partitions = [data] }] };

    private static byte[] LeaderBatch(long baseOffset)
    {
        byte[] bytes = Batches.Make((int)baseOffset, 5);
        RecordBatch.SetBaseOffset(bytes, baseOffset);
        RecordBatch.SetPartitionLeaderEpoch(bytes, 0);
        return bytes;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what, CancellationToken timeout)
    {
        while (!condition())
        {
            if (timeout.IsCancellationRequested)
                Assert.Fail($"timed out waiting until {what}");
            await Task.Delay(5);
        }
    }

    [Test]
    public async Task GarbageFetchResponse_DropsTheConnection_AndAppendsNothing()
    {
        const int seed = 4242;
        var random = new Random(seed);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var network = new InMemoryNetwork();
        var logs = new CapturingLoggerFactory();
        var leader = new ScriptedLeader((header, _) =>
        {
            var frame = new ResponseFrame();
            var writer = new KafkaWriter(frame);
            ResponseHeader.Write(ref writer, header.CorrelationId, header.ResponseHeaderIsFlexible);
            byte[] garbage = new byte[64];
            lock (random)
                random.NextBytes(garbage);
            // A topic count far past what the frame holds, so it is never read as a response.
            garbage.AsSpan(0, 10).Clear();
            garbage[10] = 0x7f;
            writer.WriteRaw(garbage);
            return frame;
        });
        await using KafkaListener listener = await StartAsync(network, leader, logs);
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = Dir.Path });
        Partition follower = (await broker.CreateTopicAsync("t")).Partitions[0];
        follower.Replica.BecomeFollower(0, 1);
        await using ReplicaFetcherManager manager = Manager(network, logs);

        manager.AddPartitions(1, [new InitialFetchState(follower.Replica, 0)]);
        await WaitUntilAsync(() => leader.Count(ApiKey.ApiVersions) >= 3, $"the fetcher reconnected twice (seed {seed})", timeout.Token);

        Assert.That(follower.LogEndOffset, Is.Zero, $"seed {seed}");
        Assert.That(leader.Count(ApiKey.Fetch), Is.GreaterThanOrEqualTo(2));
        Assert.That(logs.WithId(6302), Is.Not.Empty, "the broken connection was logged");
    }

    [Test]
    public async Task CorruptBatch_StopsThePartition_AfterTheGoodBatchesBeforeIt()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var network = new InMemoryNetwork();
        var logs = new CapturingLoggerFactory();
        byte[] good = LeaderBatch(0);
        byte[] bad = LeaderBatch(5);
        bad[^1] ^= 0x5a;   // in the last record: the CRC no longer matches
        byte[] records = [.. good, .. bad, .. LeaderBatch(10)];
        var leader = new ScriptedLeader((header, request) => ResponseEncoder.Encode(header, OnePartition(new FetchResponse.PartitionData
        {
            PartitionIndex = 0,
            HighWatermark = 15,
            LogStartOffset = 0,
            Records = request.Topics[0].Partitions[0].FetchOffset == 0 ? new ReadOnlySequence<byte>(records) : ReadOnlySequence<byte>.Empty,
        })));
        await using KafkaListener listener = await StartAsync(network, leader, logs);
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = Dir.Path });
        Partition follower = (await broker.CreateTopicAsync("t")).Partitions[0];
        follower.Replica.BecomeFollower(0, 1);
        await using ReplicaFetcherManager manager = Manager(network, logs);

        manager.AddPartitions(1, [new InitialFetchState(follower.Replica, 0)]);
        await WaitUntilAsync(() => manager.GetState(follower.Id)?.Phase == FetchPhase.Failed, "the partition stops", timeout.Token);

        Assert.That(follower.LogEndOffset, Is.EqualTo(5), "the good batch before the corrupt one, nothing after");
        Assert.That(follower.HighWatermark, Is.EqualTo(5), "the leader's high watermark, as far as this log reaches");
        Assert.That(logs.WithId(6309), Has.Count.EqualTo(1));
        Assert.That(leader.Count(ApiKey.Fetch), Is.EqualTo(1), "a stopped partition is not fetched again");
    }

    [Test]
    public async Task OutOfRangeWithALogStartPastTheLeadersHighWatermark_NeverStartsTheLogOver()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var network = new InMemoryNetwork();
        var logs = new CapturingLoggerFactory();
        var leader = new ScriptedLeader((header, _) => ResponseEncoder.Encode(header, OnePartition(new FetchResponse.PartitionData
        {
            PartitionIndex = 0,
            ErrorCode = ErrorCode.OffsetOutOfRange,
            HighWatermark = 10,
            LogStartOffset = 1_000_000,
            Records = ReadOnlySequence<byte>.Empty,
        })));
        await using KafkaListener listener = await StartAsync(network, leader, logs);
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = Dir.Path });
        Partition follower = (await broker.CreateTopicAsync("t")).Partitions[0];
        follower.Replica.BecomeFollower(0, 1);
        await using ReplicaFetcherManager manager = Manager(network, logs);

        manager.AddPartitions(1, [new InitialFetchState(follower.Replica, 0)]);
        await WaitUntilAsync(() => leader.Count(ApiKey.Fetch) >= 3, "the fetch was retried", timeout.Token);

        Assert.That((follower.LogStartOffset, follower.LogEndOffset), Is.EqualTo((0L, 0L)));
        Assert.That(logs.WithId(6306), Is.Empty);
        Assert.That(manager.GetState(follower.Id)?.Phase, Is.Not.EqualTo(FetchPhase.Failed));
    }

    [Test]
    public async Task UnknownLeaderEpoch_IsAskedAgainSoon_NotAfterTheWholeBackoff()
    {
        // A follower that applied a leader change before its new leader did: the leader answers UNKNOWN_LEADER_EPOCH
        // once. The next fetch must not wait the fetch backoff (30 s here; 1 s by default, a second of every failover).
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var network = new InMemoryNetwork();
        var logs = new CapturingLoggerFactory();
        int fetches = 0;
        var leader = new ScriptedLeader((header, _) => ResponseEncoder.Encode(header, OnePartition(new FetchResponse.PartitionData
        {
            PartitionIndex = 0,
            ErrorCode = Interlocked.Increment(ref fetches) == 1 ? ErrorCode.UnknownLeaderEpoch : ErrorCode.None,
            HighWatermark = 0,
            Records = ReadOnlySequence<byte>.Empty,
        })));
        await using KafkaListener listener = await StartAsync(network, leader, logs);
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = Dir.Path });
        Partition follower = (await broker.CreateTopicAsync("t")).Partitions[0];
        follower.Replica.BecomeFollower(0, 1);
        await using var manager = new ReplicaFetcherManager(new ReplicaFetcherOptions
        {
            NodeId = 2,
            MaxWait = TimeSpan.FromMilliseconds(50),
            Backoff = TimeSpan.FromSeconds(30),
            RequestTimeout = TimeSpan.FromSeconds(10),
        }, _ => LeaderEndpoint, network, TimeProvider.System, logs.CreateLogger("LogStore"));

        manager.AddPartitions(1, [new InitialFetchState(follower.Replica, 0)]);
        await WaitUntilAsync(() => leader.Count(ApiKey.Fetch) >= 2, "the partition was fetched again after UNKNOWN_LEADER_EPOCH", timeout.Token);

        Assert.That(manager.GetState(follower.Id)?.Phase, Is.Not.EqualTo(FetchPhase.Failed));
    }
}
