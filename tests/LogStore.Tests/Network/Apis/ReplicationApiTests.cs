using System.Buffers;
using LogStore.Protocol;
using LogStore.Storage.Replication;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Network.Apis;

/// <summary>
/// The leader's side of replication on the wire, as raw requests over the in-memory transport: a follower's Fetch (a
/// replica id, v12's field or v15's ReplicaState) reads to the log end, is fenced by leader epoch (KIP-320), learns a
/// diverging epoch, and moves the high watermark the response carries; Produce with acks=-1 waits for it, and is refused
/// with NOT_ENOUGH_REPLICAS when the ISR is short or NOT_LEADER_OR_FOLLOWER on a follower.
/// </summary>
[TestFixture]
public sealed class ReplicationApiTests : InMemoryListenerFixture
{
    private const int LeaderEpoch = 3;

    /// <summary>Topic "t" led by node 1 with follower 2 (no controller: ISR changes apply locally).</summary>
    private async Task<PartitionReplica> LeaderAsync(int[] isr, int minInSyncReplicas = 1)
    {
        Partition partition = (await Broker.CreateTopicAsync("t", new TopicConfig())).Partitions[0];
        PartitionReplica replica = partition.Replica;
        replica.Log.Config = new TopicConfig { ReplicationFactor = 2, MinInSyncReplicas = minInSyncReplicas };
        replica.UseController(null, TimeSpan.FromSeconds(30));
        replica.BecomeLeader(LeaderEpoch, 1, [1, 2], isr, localNodeId: 1);
        return replica;
    }

    private FetchRequest FollowerFetch(short version, long offset, int currentLeaderEpoch = LeaderEpoch, int lastFetchedEpoch = -1) => new()
    {
        ReplicaId = version < 15 ? 2 : -1,
        ReplicaState = version >= 15 ? new FetchRequest.ReplicaStateData { ReplicaId = 2 } : null,
        MaxWaitMs = 0,
        MinBytes = 1,
        MaxBytes = 1 << 20,
        SessionEpoch = -1,
        Topics =
        [
            new FetchRequest.Topic
            {
                Name = "t",
                TopicId = Broker.TryGetTopic("t", out Topic? topic) ? topic.TopicId : Guid.Empty,
                Partitions = [new FetchRequest.Partition
                {
                    PartitionIndex = 0, FetchOffset = offset, CurrentLeaderEpoch = currentLeaderEpoch, LastFetchedEpoch = lastFetchedEpoch,
                    LogStartOffset = 0, PartitionMaxBytes = 1 << 20,
                }],
            },
        ],
    };

    private async Task<FetchResponse.PartitionData> FetchAsync(KafkaWireClient client, FetchRequest request, short version)
    {
        FetchResponse response = await client.SendAsync<FetchRequest, FetchResponse>(request, version, Token);
        return response.Topics.Single().Partitions.Single();
    }

    private static ProduceRequest Produce(short acks, int records, int timeoutMs = 30_000) => new()
    {
        Acks = acks,
        TimeoutMs = timeoutMs,
        Topics = [new ProduceRequest.TopicData { Name = "t", Partitions = [new ProduceRequest.PartitionData { Index = 0, Records = new ReadOnlySequence<byte>(Batches.Make(0, records)) }] }],
    };

    private Task<ProduceResponse> ProduceAsync(KafkaWireClient client, ProduceRequest request, short version = 10) =>
        client.SendAsync<ProduceRequest, ProduceResponse>(request, version, Token);

    [TestCase((short)12)]
    [TestCase((short)15)]
    [TestCase((short)16)]
    public async Task FollowerFetch_ReadsToTheLogEnd_AndAnswersTheHighWatermarkItMoves(short version)
    {
        PartitionReplica leader = await LeaderAsync([1, 2]);
        leader.AppendAsLeader(Batches.Batch(Batches.Make(0, 5)));
        await using KafkaWireClient client = await ConnectAsync();

        FetchResponse.PartitionData first = await FetchAsync(client, FollowerFetch(version, 0), version);
        Assert.That((first.ErrorCode, first.HighWatermark, first.LogStartOffset), Is.EqualTo((ErrorCode.None, 0L, 0L)));
        Assert.That(first.Records!.Value.Length, Is.EqualTo(Batches.Make(0, 5).Length), "past the high watermark, to the log end");

        FetchResponse.PartitionData second = await FetchAsync(client, FollowerFetch(version, 5, lastFetchedEpoch: LeaderEpoch), version);

        Assert.That((second.ErrorCode, second.HighWatermark, second.Records!.Value.Length), Is.EqualTo((ErrorCode.None, 5L, 0L)));
        Assert.That(leader.HighWatermark, Is.EqualTo(5));
        Assert.That(leader.GetFollowerState(2)?.LogEndOffset, Is.EqualTo(5));
    }

    [Test]
    public async Task ConsumerFetch_StillStopsAtTheHighWatermark()
    {
        PartitionReplica leader = await LeaderAsync([1, 2]);
        leader.AppendAsLeader(Batches.Batch(Batches.Make(0, 5)));
        await using KafkaWireClient client = await ConnectAsync();
        FetchRequest consumer = FollowerFetch(12, 0);
        consumer.ReplicaId = -1;

        FetchResponse.PartitionData data = await FetchAsync(client, consumer, 12);

        Assert.That((data.ErrorCode, data.HighWatermark, data.Records?.Length ?? 0), Is.EqualTo((ErrorCode.None, 0L, 0L)));
        Assert.That(leader.GetFollowerState(2)?.LogEndOffset, Is.EqualTo(-1), "a consumer is no follower");
    }

    [TestCase(LeaderEpoch - 1, (short)74)] // FENCED_LEADER_EPOCH
    [TestCase(LeaderEpoch + 1, (short)75)] // UNKNOWN_LEADER_EPOCH
    public async Task FollowerFetch_WithAnotherLeaderEpoch_IsRefused(int epoch, short expectedCode)
    {
        var expected = (ErrorCode)expectedCode;
        PartitionReplica leader = await LeaderAsync([1, 2]);
        leader.AppendAsLeader(Batches.Batch(Batches.Make(0, 5)));
        await using KafkaWireClient client = await ConnectAsync();

        FetchResponse.PartitionData data = await FetchAsync(client, FollowerFetch(15, 5, currentLeaderEpoch: epoch), 15);

        Assert.That((data.ErrorCode, data.Records?.Length ?? 0), Is.EqualTo((expected, 0L)));
        Assert.That(leader.HighWatermark, Is.Zero, "a fenced fetch reports nothing");
    }

    [Test]
    public async Task FollowerFetch_FromANonLeader_IsNotLeaderOrFollower_NamingTheLeader()
    {
        PartitionReplica replica = await LeaderAsync([1, 2]);
        replica.BecomeFollower(LeaderEpoch + 1, leaderId: 3);
        await using KafkaWireClient client = await ConnectAsync();

        FetchResponse.PartitionData data = await FetchAsync(client, FollowerFetch(12, 0, currentLeaderEpoch: LeaderEpoch + 1), 12);

        Assert.That(data.ErrorCode, Is.EqualTo(ErrorCode.NotLeaderOrFollower));
        Assert.That((data.CurrentLeader?.LeaderId, data.CurrentLeader?.LeaderEpoch), Is.EqualTo(((int?)3, (int?)(LeaderEpoch + 1))));
    }

    [Test]
    public async Task FollowerFetch_WithADivergingLastFetchedEpoch_GetsWhereThatEpochEndedHere()
    {
        Partition partition = (await Broker.CreateTopicAsync("t", new TopicConfig())).Partitions[0];
        PartitionReplica leader = partition.Replica;
        leader.BecomeLeader(1, 1, [1, 2], [1, 2], 1);
        leader.AppendAsLeader(Batches.Batch(Batches.Make(0, 3)));
        leader.BecomeLeader(LeaderEpoch, 2, [1, 2], [1, 2], 1);
        leader.AppendAsLeader(Batches.Batch(Batches.Make(3, 2)));
        await using KafkaWireClient client = await ConnectAsync();

        // The follower holds offsets 0..3 of an epoch 2 this leader never had.
        FetchResponse.PartitionData data = await FetchAsync(client, FollowerFetch(12, 4, lastFetchedEpoch: 2), 12);

        Assert.That(data.ErrorCode, Is.EqualTo(ErrorCode.None));
        Assert.That((data.DivergingEpoch?.Epoch, data.DivergingEpoch?.EndOffset), Is.EqualTo(((int?)1, (long?)3)));
        Assert.That(data.Records?.Length ?? 0, Is.Zero);
        Assert.That(leader.GetFollowerState(2)?.LogEndOffset, Is.EqualTo(-1), "not recorded until it truncates");
    }

    [Test]
    public async Task ProduceAcksAll_IsAnsweredOnceTheFollowerHasFetchedIt()
    {
        PartitionReplica leader = await LeaderAsync([1, 2]);
        await using KafkaWireClient producer = await ConnectAsync();
        await using KafkaWireClient follower = await ConnectAsync();

        Task<ProduceResponse> produced = ProduceAsync(producer, Produce(-1, 4));
        // The follower's first fetch sees the batch; its next one, from past it, commits it.
        for (int attempt = 0; leader.LogEndOffset < 4; attempt++)
        {
            Assert.That(attempt, Is.LessThan(10_000), "the produce request never reached the log");
            Token.ThrowIfCancellationRequested();
            await FetchAsync(follower, FollowerFetch(12, 0), 12);
        }
        Assert.That(produced.IsCompleted, Is.False, "appended, not replicated");
        await FetchAsync(follower, FollowerFetch(12, 4), 12);

        ProduceResponse.PartitionResponse result = (await produced).Topics.Single().Partitions.Single();
        Assert.That((result.ErrorCode, result.BaseOffset), Is.EqualTo((ErrorCode.None, 0L)));
        Assert.That(leader.HighWatermark, Is.EqualTo(4));
    }

    [Test]
    public async Task ProduceAcksAll_BelowMinIsr_IsNotEnoughReplicas_AndAppendsNothing()
    {
        PartitionReplica leader = await LeaderAsync([1], minInSyncReplicas: 2);
        await using KafkaWireClient client = await ConnectAsync();

        ProduceResponse.PartitionResponse refused = (await ProduceAsync(client, Produce(-1, 4))).Topics.Single().Partitions.Single();
        ProduceResponse.PartitionResponse acksOne = (await ProduceAsync(client, Produce(1, 2))).Topics.Single().Partitions.Single();

        Assert.That(refused.ErrorCode, Is.EqualTo(ErrorCode.NotEnoughReplicas));
        Assert.That((acksOne.ErrorCode, acksOne.BaseOffset), Is.EqualTo((ErrorCode.None, 0L)), "acks=1 is not held to the minimum");
        Assert.That(leader.LogEndOffset, Is.EqualTo(2));
    }

    [Test]
    public async Task ProduceAcksAll_NotReplicatedInTime_IsRequestTimedOut()
    {
        await LeaderAsync([1, 2]);
        await using KafkaWireClient client = await ConnectAsync();

        ProduceResponse.PartitionResponse result = (await ProduceAsync(client, Produce(-1, 4, timeoutMs: 0))).Topics.Single().Partitions.Single();

        Assert.That(result.ErrorCode, Is.EqualTo(ErrorCode.RequestTimedOut));
    }

    [Test]
    public async Task Produce_ToAFollower_IsNotLeaderOrFollower_NamingTheLeader()
    {
        PartitionReplica replica = await LeaderAsync([1, 2]);
        replica.BecomeFollower(LeaderEpoch + 1, leaderId: 2);
        await using KafkaWireClient client = await ConnectAsync();

        ProduceResponse.PartitionResponse result = (await ProduceAsync(client, Produce(1, 4))).Topics.Single().Partitions.Single();

        Assert.That(result.ErrorCode, Is.EqualTo(ErrorCode.NotLeaderOrFollower));
        Assert.That((result.CurrentLeader?.LeaderId, result.CurrentLeader?.LeaderEpoch), Is.EqualTo(((int?)2, (int?)(LeaderEpoch + 1))));
        Assert.That(replica.LogEndOffset, Is.Zero);
    }

    [Test]
    public async Task ProduceAcksAll_OnASingleNode_IsAnsweredAtOnce()
    {
        await Broker.CreateTopicAsync("t", new TopicConfig());
        await using KafkaWireClient client = await ConnectAsync();

        ProduceResponse.PartitionResponse result = (await ProduceAsync(client, Produce(-1, 4, timeoutMs: 0))).Topics.Single().Partitions.Single();

        Assert.That((result.ErrorCode, result.BaseOffset), Is.EqualTo((ErrorCode.None, 0L)));
    }

    [Test]
    public async Task ConsumerLongPoll_IsAnsweredWhenTheFollowerMovesTheHighWatermark()
    {
        PartitionReplica leader = await LeaderAsync([1, 2]);
        await using KafkaWireClient consumer = await ConnectAsync();
        await using KafkaWireClient follower = await ConnectAsync();
        FetchRequest poll = FollowerFetch(12, 0);
        poll.ReplicaId = -1;
        poll.MaxWaitMs = 60_000;

        Task<FetchResponse.PartitionData> polled = FetchAsync(consumer, poll, 12);
        leader.AppendAsLeader(Batches.Batch(Batches.Make(0, 3)));
        await FetchAsync(follower, FollowerFetch(12, 0), 12);
        Assert.That(polled.IsCompleted, Is.False, "appended, not committed");
        await FetchAsync(follower, FollowerFetch(12, 3), 12);

        FetchResponse.PartitionData data = await polled;
        Assert.That((data.ErrorCode, data.HighWatermark), Is.EqualTo((ErrorCode.None, 3L)));
        Assert.That(data.Records!.Value.Length, Is.EqualTo(Batches.Make(0, 3).Length));
    }
}
