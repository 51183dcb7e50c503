using LogStore.Cluster.Node;
using LogStore.Storage.Replication.Fetching;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Storage.Replication.Fetching;

/// <summary>
/// The follower's fetcher against a real leader (a broker serving the Kafka protocol on the in-memory network): catch-up
/// to byte-identical segments, epochs and the high watermark taken from the leader, appends while fetching, reconnection
/// after a partition of the network, fencing by epoch, and removal.
/// </summary>
public sealed class ReplicaFetcherTests
{
    private static readonly CompressionType[] Codecs =
        [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

    private static readonly TopicConfig SmallSegments = new() { SegmentBytes = 4096, IndexIntervalBytes = 256 };

    /// <summary>Appends <paramref name="count"/> batches of 5 records to the leader's partition, codecs in turn.</summary>
    private static async Task AppendAsync(Partition leader, int count, int firstId = 0)
    {
        for (int i = 0; i < count; i++)
        {
            byte[] batch = Batches.Make(firstId + i * 5, 5, valueSize: 100, compression: Codecs[(firstId / 5 + i) % Codecs.Length]);
            await leader.AppendAsync(Batches.Batch(batch));
        }
    }

    [Test]
    public async Task CatchUp_SeveralSegmentsAndCodecs_LeavesByteIdenticalSegments()
    {
        await using ReplicationPair pair = await ReplicationPair.StartAsync(maxBytesPerPartition: 2048);
        (Partition leader, Partition follower) = await pair.CreateTopicAsync("t", SmallSegments);
        ReplicationPair.Lead(leader, 0);
        await AppendAsync(leader, 30);
        ReplicationPair.Lead(leader, 3);
        await AppendAsync(leader, 30, firstId: 150);
        Assume.That(leader.Segments, Has.Count.GreaterThanOrEqualTo(4), "the leader rolled several segments");

        pair.Follow(follower, 3);
        await pair.CaughtUpAsync(leader, follower);

        ReplicationPair.AssertSameSegments(leader, follower);
        Assert.That(follower.Log.LeaderEpochCache.Entries(), Is.EqualTo(leader.Log.LeaderEpochCache.Entries()), "epochs copied");
        Assert.That(follower.HighWatermark, Is.EqualTo(leader.HighWatermark), "the leader's high watermark taken");
        Assert.That(pair.Fetchers.TryGetLag(follower.Id, out long lag) && lag == 0, Is.True, "no lag once caught up");
    }

    [Test]
    public async Task CatchUp_WithTheLeadersTopicId_FetchesByIdAtTheNewestVersion()
    {
        await using ReplicationPair pair = await ReplicationPair.StartAsync();
        (Partition leader, Partition follower) = await pair.CreateTopicAsync("t", SmallSegments);
        await AppendAsync(leader, 6);
        Assert.That(pair.Leader.TryGetTopic("t", out Topic? topic), Is.True);
        follower.Replica.BecomeFollower(0, ReplicationPair.LeaderId);

        pair.Fetchers.AddPartitions(ReplicationPair.LeaderId, [new InitialFetchState(follower.Replica, 0, topic!.TopicId)]);
        await pair.CaughtUpAsync(leader, follower);

        ReplicationPair.AssertSameSegments(leader, follower);
        Assert.That(pair.Logs.WithId(6301).Single().Message, Does.Contain("Fetch v16"), "topic ids and ReplicaState (v15+)");
    }

    [Test]
    public async Task Fetching_LeaderAppendsMeanwhile_FollowerCatchesUpAgain()
    {
        await using ReplicationPair pair = await ReplicationPair.StartAsync(flushBeforeFetch: true);
        (Partition leader, Partition follower) = await pair.CreateTopicAsync("t", SmallSegments);
        await AppendAsync(leader, 5);
        pair.Follow(follower, 0);
        await pair.CaughtUpAsync(leader, follower);

        for (int round = 0; round < 5; round++)
        {
            await AppendAsync(leader, 4, firstId: 100 + round * 20);
            await pair.CaughtUpAsync(leader, follower);
        }

        ReplicationPair.AssertSameSegments(leader, follower);
        // FlushBeforeFetch: what a fetch appended is fsynced before the next fetch, which the long poll sends at once.
        await pair.WaitUntilAsync(() => follower.Log.RecoveryPoint == follower.LogEndOffset, "the follower's appends are flushed");
    }

    [Test]
    public async Task LeaderIsolatedThenHealed_FetcherReconnectsAndContinues()
    {
        await using ReplicationPair pair = await ReplicationPair.StartAsync();
        (Partition leader, Partition follower) = await pair.CreateTopicAsync("t", SmallSegments);
        await AppendAsync(leader, 5);
        pair.Follow(follower, 0);
        await pair.CaughtUpAsync(leader, follower);

        pair.Network.Isolate(ReplicationPair.LeaderEndpoint);
        await pair.WaitUntilAsync(() => pair.Logs.WithId(6302).Count >= 2, "the fetcher failed to reconnect at least once");
        await AppendAsync(leader, 5, firstId: 100);
        pair.Network.Heal(ReplicationPair.LeaderEndpoint);

        await pair.CaughtUpAsync(leader, follower);
        ReplicationPair.AssertSameSegments(leader, follower);
        Assert.That(pair.Logs.WithId(6301), Has.Count.GreaterThanOrEqualTo(2), "connected again after the heal");
        Assert.That(pair.Fetchers.Stats.ConnectionFailures, Is.GreaterThanOrEqualTo(2));
    }

    [Test]
    public async Task ALeaderThatHasNotAppliedItsLeadership_IsAskedAgain_WithoutANewAssignment()
    {
        await using ReplicationPair pair = await ReplicationPair.StartAsync();
        (Partition leader, Partition follower) = await pair.CreateTopicAsync("t", SmallSegments);
        ReplicationPair.Lead(leader, 4);
        await AppendAsync(leader, 3);
        // The follower applies the image naming the leader in epoch 5 before the leader does, which holds a replica
        // without a leader in that epoch (as a partition just created is on every node until its image comes).
        leader.Replica.BecomeFollower(5, null);

        pair.Follow(follower, 5);
        await pair.WaitUntilAsync(() => pair.Logs.WithId(6308).Any(e => e.Message.Contains("NotLeaderOrFollower")),
            "the leader answered NOT_LEADER_OR_FOLLOWER");
        ReplicationPair.Lead(leader, 5);

        // Kafka's fetcher retries that answer after a backoff; one that idled until reassigned never fetched again.
        await pair.CaughtUpAsync(leader, follower);
        ReplicationPair.AssertSameSegments(leader, follower);
        Assert.That(pair.Logs.WithId(6307), Is.Empty, "never idled as fenced");
    }

    [Test]
    public async Task StaleLeaderEpoch_IsFencedUntilReaddedInTheLeadersEpoch()
    {
        await using ReplicationPair pair = await ReplicationPair.StartAsync();
        (Partition leader, Partition follower) = await pair.CreateTopicAsync("t", SmallSegments);
        ReplicationPair.Lead(leader, 5);
        await AppendAsync(leader, 3);
        pair.Follow(follower, 5);
        await pair.CaughtUpAsync(leader, follower);
        // The leader changes epochs twice while the follower hears of the first change only.
        pair.Fetchers.RemovePartitions([follower.Id]);
        ReplicationPair.Lead(leader, 7);
        await AppendAsync(leader, 3, firstId: 100);

        pair.Follow(follower, 6);
        await pair.WaitUntilAsync(() => pair.Fetchers.GetState(follower.Id)?.Phase == FetchPhase.Fenced, "epoch 6 is fenced by the leader of epoch 7");
        long fencedAt = follower.LogEndOffset;
        pair.Follow(follower, 6);
        Assert.That(pair.Fetchers.GetState(follower.Id)?.Phase, Is.EqualTo(FetchPhase.Fenced), "the same epoch again changes nothing");

        pair.Follow(follower, 7);
        await pair.CaughtUpAsync(leader, follower);
        Assert.That(fencedAt, Is.LessThan(leader.LogEndOffset), "nothing was fetched while fenced");
        ReplicationPair.AssertSameSegments(leader, follower);
    }

    [Test]
    public async Task LeaderBehindTheFollowersEpoch_IsRetriedUntilItLearnsIt()
    {
        await using ReplicationPair pair = await ReplicationPair.StartAsync();
        (Partition leader, Partition follower) = await pair.CreateTopicAsync("t", SmallSegments);
        ReplicationPair.Lead(leader, 3);
        await AppendAsync(leader, 3);
        pair.Follow(follower, 3);
        await pair.CaughtUpAsync(leader, follower);

        // The follower hears of epoch 4 before the leader does: UNKNOWN_LEADER_EPOCH, retried after the backoff.
        pair.Follow(follower, 4);
        await pair.WaitUntilAsync(() => pair.Logs.WithId(6308).Count(e => e.Message.Contains("UnknownLeaderEpoch")) >= 2,
            "the unknown epoch was retried");
        Assert.That(pair.Fetchers.GetState(follower.Id)?.Phase, Is.EqualTo(FetchPhase.Truncating));
        ReplicationPair.Lead(leader, 4);
        await AppendAsync(leader, 3, firstId: 100);

        await pair.CaughtUpAsync(leader, follower);
        ReplicationPair.AssertSameSegments(leader, follower);
        Assert.That(pair.Fetchers.Stats.PartitionErrors, Is.GreaterThanOrEqualTo(2));
    }

    [Test]
    public async Task RemovePartitions_StopsFetchingThatPartitionOnly()
    {
        await using ReplicationPair pair = await ReplicationPair.StartAsync();
        (Partition leader, Partition follower) = await pair.CreateTopicAsync("t", SmallSegments);
        (Partition otherLeader, Partition otherFollower) = await pair.CreateTopicAsync("u", SmallSegments);
        await AppendAsync(leader, 3);
        pair.Follow(follower, 0);
        pair.Follow(otherFollower, 0);
        await pair.CaughtUpAsync(leader, follower);

        pair.Fetchers.RemovePartitions([follower.Id]);
        long removedAt = follower.LogEndOffset;
        await AppendAsync(leader, 3, firstId: 100);
        await AppendAsync(otherLeader, 3);
        // The other partition's catch-up proves fetches went on after the appends to both.
        await pair.CaughtUpAsync(otherLeader, otherFollower);

        Assert.That(follower.LogEndOffset, Is.EqualTo(removedAt));
        Assert.That(pair.Fetchers.GetState(follower.Id), Is.Null);
        Assert.That(pair.Fetchers.FetcherCount, Is.EqualTo(1), "one fetcher per leader");
    }

    [Test]
    public async Task Create_ForAClusterNode_FollowsThroughTheMetadataPublishersInterface()
    {
        await using ReplicationPair pair = await ReplicationPair.StartAsync();
        (Partition leader, Partition follower) = await pair.CreateTopicAsync("t", SmallSegments);
        await AppendAsync(leader, 4);
        await using IFollowerFetchers fetchers = ReplicaFetcherManager.Create(pair.Follower, new ReplicationOptions
        {
            NodeId = ReplicationPair.FollowerId,
            Nodes = [new ClusterNode(ReplicationPair.LeaderId, ReplicationPair.LeaderEndpoint), new ClusterNode(ReplicationPair.FollowerId, ReplicationPair.FollowerEndpoint)],
            ConnectionFactory = pair.Network.For(ReplicationPair.FollowerEndpoint),
        });
        follower.Replica.BecomeFollower(0, ReplicationPair.LeaderId);

        fetchers.Follow(follower.Replica, ReplicationPair.LeaderId, 0);
        await pair.CaughtUpAsync(leader, follower);
        fetchers.Unfollow(follower.Replica);

        Assert.That(((ReplicaFetcherManager)fetchers).GetState(follower.Id), Is.Null);
        ReplicationPair.AssertSameSegments(leader, follower);
    }

    [Test]
    public async Task Dispose_StopsTheLoopsAndClosesTheConnection()
    {
        await using ReplicationPair pair = await ReplicationPair.StartAsync();
        (Partition leader, Partition follower) = await pair.CreateTopicAsync("t", SmallSegments);
        await AppendAsync(leader, 2);
        pair.Follow(follower, 0);
        await pair.CaughtUpAsync(leader, follower);

        await pair.Fetchers.DisposeAsync();

        Assert.That(pair.Fetchers.FetcherCount, Is.Zero);
        Assert.Throws<ObjectDisposedException>(() => pair.Fetchers.AddPartitions(ReplicationPair.LeaderId, []));
    }
}
