using LogStore.Protocol;
using LogStore.Storage.Replication;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Network.Apis;

/// <summary>
/// Follower fetches the peer fuzzer (Cluster/PeerFuzz) found mishandled, on one leader over the in-memory transport:
/// node 1 leads "t" with follower 2 (offsets 0..2 in epoch 1, 3..4 in epoch 3), on a fake clock that never moves, so a fetch that waits out its
/// max_wait_ms instead of answering at once never returns (the fixture's timeout fails it).
/// </summary>
[TestFixture]
[CancelAfter(30_000)]
public sealed class HostileFollowerFetchTests : InMemoryListenerFixture
{
    private const int LeaderEpoch = 3;

    [SetUp]
    public async Task LeadTopic()
    {
        PartitionReplica replica = (await Broker.CreateTopicAsync("t", new TopicConfig())).Partitions[0].Replica;
        replica.Log.Config = new TopicConfig { ReplicationFactor = 2 };
        replica.UseController(null, TimeSpan.FromSeconds(30));
        replica.BecomeLeader(1, 1, [1, 2], [1, 2], localNodeId: 1);
        replica.AppendAsLeader(Batches.Batch(Batches.Make(0, 3)));
        replica.BecomeLeader(LeaderEpoch, 2, [1, 2], [1, 2], localNodeId: 1);
        replica.AppendAsLeader(Batches.Batch(Batches.Make(3, 2)));
    }

    // Found with seed 7: Fetch v16 from replica 3 (no replica of the partition), last fetched epoch 1, fetch offset
    // 16777219, max wait 2 ms: answered a diverging epoch to a stranger, then waited past the log end and closed the
    // connection with an OffsetOutOfRangeException logged as a failed handler.
    [TestCase(3)]
    [TestCase(int.MaxValue)]
    public async Task AFetchFromAReplicaIdThatIsNoReplica_IsNotLeaderOrFollower_AtOnce(int strangerId, CancellationToken cancellationToken)
    {
        await using KafkaWireClient client = new(new TestClient(await Transport.ConnectAsync(cancellationToken)));

        FetchResponse.PartitionData data = await FetchAsync(client, Fetch(strangerId, fetchOffset: 16_777_219, lastFetchedEpoch: LeaderEpoch + 1), cancellationToken);

        Assert.That(data.ErrorCode, Is.EqualTo(ErrorCode.NotLeaderOrFollower));
        Assert.That(data.DivergingEpoch, Is.Null, "a stranger learns nothing of the log");
        Assert.That(data.Records?.Length ?? 0, Is.Zero);
    }

    // A member whose tail diverged, fetching past this leader's log end with a long max wait (as a real follower does
    // after a leader change): Kafka answers a diverging epoch at once; waiting would also wait past the log end.
    [Test]
    public async Task AFollowerWithADivergedTail_LearnsWhereItsEpochEnded_AtOnce_EvenPastTheLogEnd(CancellationToken cancellationToken)
    {
        await using KafkaWireClient client = new(new TestClient(await Transport.ConnectAsync(cancellationToken)));

        // The follower holds offsets up to 9 of an epoch 2 this leader never had.
        FetchResponse.PartitionData data = await FetchAsync(client, Fetch(2, fetchOffset: 10, lastFetchedEpoch: 2), cancellationToken);

        Assert.That(data.ErrorCode, Is.EqualTo(ErrorCode.None));
        Assert.That((data.DivergingEpoch?.Epoch, data.DivergingEpoch?.EndOffset), Is.EqualTo(((int?)1, (long?)3)));
    }

    private static FetchRequest Fetch(int replicaId, long fetchOffset, int lastFetchedEpoch) => new()
    {
        ReplicaState = new FetchRequest.ReplicaStateData { ReplicaId = replicaId, ReplicaEpoch = -1 },
        MaxWaitMs = 10_000,
        MinBytes = 1,
        MaxBytes = 1 << 20,
        SessionEpoch = -1,
        Topics =
        [
            new FetchRequest.Topic
            {
                Name = "t",
                Partitions = [new FetchRequest.Partition
                {
                    PartitionIndex = 0, FetchOffset = fetchOffset, CurrentLeaderEpoch = LeaderEpoch, LastFetchedEpoch = lastFetchedEpoch,
                    LogStartOffset = 0, PartitionMaxBytes = 1 << 20,
                }],
            },
        ],
    };

    private async Task<FetchResponse.PartitionData> FetchAsync(KafkaWireClient client, FetchRequest request, CancellationToken cancellationToken)
    {
        request.Topics[0].TopicId = Broker.TryGetTopic("t", out Topic? topic) ? topic.TopicId : Guid.Empty;
        FetchResponse response = await client.SendAsync<FetchRequest, FetchResponse>(request, 16, cancellationToken);
        return response.Topics.Single().Partitions.Single();
    }
}
