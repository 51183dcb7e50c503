using LogStore.Cluster.Metadata;
using LogStore.Storage.Replication;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Storage.Replication;

/// <summary>
/// The leader side of replication on one replica, with fake follower fetches, a fake controller and a fake clock: the
/// high watermark over the ISR and min ISR, ISR expansion and shrink proposals and their pending states, stale results,
/// acks=All waits and the consumer's long poll woken by the high watermark.
/// </summary>
public sealed class PartitionReplicaLeaderTests : BrokerFixture
{
    private static readonly int[] Three = [1, 2, 3];
    private static readonly TimeSpan Lag = TimeSpan.FromSeconds(30);

    private Broker _broker = null!;
    private FakeControllerChannel _controller = null!;

    [SetUp]
    public async Task OpenAsync()
    {
        _broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = Dir.Path, TimeProvider = Time });
        _controller = new FakeControllerChannel();
    }

    [TearDown]
    public async Task CloseAsync() => await _broker.DisposeAsync();

    private async Task<PartitionReplica> LeaderAsync(int[] replicas, int[] isr, int minInSyncReplicas = 1, int partitionEpoch = 4)
    {
        Partition partition = (await _broker.CreateTopicAsync("t", new TopicConfig())).Partitions[0];
        PartitionReplica replica = partition.Replica;
        replica.Log.Config = new TopicConfig { ReplicationFactor = replicas.Length, MinInSyncReplicas = minInSyncReplicas };
        replica.UseController(_controller, Lag);
        replica.BecomeLeader(leaderEpoch: 2, partitionEpoch, replicas, isr, localNodeId: 1);
        return replica;
    }

    private static void Append(PartitionReplica replica, int records) => replica.AppendAsLeader(Batches.Batch(Batches.Make(0, records)));

    private DateTimeOffset Now => Time.GetUtcNow();

    [Test]
    public async Task FlushBeforeAcknowledge_TheLeadersOwnRecordsCountOnceFsynced()
    {
        PartitionReplica leader = await LeaderAsync(Three, Three);
        leader.UseController(_controller, Lag, flushBeforeAcknowledge: true);
        Append(leader, 10);

        leader.UpdateFollowerFetchState(2, 10, 0, Now);
        leader.UpdateFollowerFetchState(3, 10, 0, Now);
        await leader.WaitForHighWatermarkAsync(10, TimeSpan.FromMinutes(1)).AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(leader.Log.RecoveryPoint, Is.GreaterThanOrEqualTo(10),
            "committed records must be on the leader's disk too: a power cut of every node loses none of them");
    }

    [Test]
    public async Task FlushBeforeAcknowledge_ANewLeaderFsyncsTheRecordsItHoldsUnflushed_SoItsHighWatermarkCanMove()
    {
        // Records this replica took as a follower (or recovered after a crash) and never fsynced; then it leads, and no
        // producer appends: without an fsync of its own its log end would hold the high watermark at 0 for good.
        PartitionReplica replica = (await _broker.CreateTopicAsync("t", new TopicConfig())).Partitions[0].Replica;
        replica.Log.Config = new TopicConfig { ReplicationFactor = 3, MinInSyncReplicas = 2 };
        replica.BecomeFollower(1, leaderId: 2);
        byte[] bytes = Batches.Make(0, 10);
        RecordBatch.SetPartitionLeaderEpoch(bytes, 1);
        replica.AppendAsFollower([Batches.Batch(bytes)], 0, new AppendResult[1], out _);
        Assume.That(replica.Log.RecoveryPoint, Is.LessThan(10));

        replica.UseController(_controller, Lag, flushBeforeAcknowledge: true);
        replica.BecomeLeader(leaderEpoch: 2, partitionEpoch: 4, Three, Three, localNodeId: 1);
        replica.UpdateFollowerFetchState(2, 10, 0, Now);
        replica.UpdateFollowerFetchState(3, 10, 0, Now);

        await replica.WaitForHighWatermarkAsync(10, TimeSpan.FromMinutes(1)).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(replica.Log.RecoveryPoint, Is.GreaterThanOrEqualTo(10));
    }

    [Test]
    public async Task HighWatermark_IsTheSmallestLogEndOverTheIsr_AndNeverGoesBack()
    {
        PartitionReplica leader = await LeaderAsync(Three, Three);
        Append(leader, 10);
        Assert.That(leader.HighWatermark, Is.Zero, "followers of a new leader have not fetched yet");

        leader.UpdateFollowerFetchState(2, 6, 0, Now);
        Assert.That(leader.HighWatermark, Is.Zero, "follower 3 is in the ISR and unknown");
        leader.UpdateFollowerFetchState(3, 4, 0, Now);
        Assert.That(leader.HighWatermark, Is.EqualTo(4));
        leader.UpdateFollowerFetchState(3, 10, 0, Now);
        Assert.That(leader.HighWatermark, Is.EqualTo(6));
        leader.UpdateFollowerFetchState(2, 3, 0, Now);
        Assert.That(leader.HighWatermark, Is.EqualTo(6), "never back");
        leader.UpdateFollowerFetchState(2, 10, 0, Now);
        Assert.That(leader.HighWatermark, Is.EqualTo(10));
    }

    [Test]
    public async Task HighWatermark_WithTheLeaderAloneInTheIsr_FollowsItsAppends()
    {
        PartitionReplica leader = await LeaderAsync(Three, [1]);

        Append(leader, 5);

        Assert.That(leader.HighWatermark, Is.EqualTo(5));
        Assert.That(leader.IsSole, Is.False);
    }

    [Test]
    public async Task BelowMinIsr_AcksAllIsRefusedBeforeAppending_AndTheHighWatermarkStays()
    {
        PartitionReplica leader = await LeaderAsync(Three, [1], minInSyncReplicas: 2);

        var e = Assert.Throws<NotEnoughReplicasException>(leader.ThrowIfNotEnoughReplicas)!;
        Assert.That((e.TopicPartition, e.InSyncReplicas, e.MinInSyncReplicas), Is.EqualTo((leader.Id, 1, 2)));
        Assert.That(e.Message, Does.Contain("min.insync.replicas"));

        Append(leader, 5); // an acks=1 write still goes in, uncommitted
        leader.UpdateFollowerFetchState(2, 5, 0, Now);
        Assert.That(leader.HighWatermark, Is.Zero, "KIP-966: no commit with fewer in-sync replicas than the minimum");
        Assert.That(leader.PendingIsrChange?.Kind, Is.EqualTo(IsrChangeKind.Expand));

        Assert.That(leader.ApplyPartitionState(2, 5, Three, [1, 2]), Is.True);
        Assert.That(leader.HighWatermark, Is.EqualTo(5));
        Assert.DoesNotThrow(leader.ThrowIfNotEnoughReplicas);
    }

    [Test]
    public async Task CaughtUpFollower_IsProposedForTheIsr_OneChangeAtATime_AndCountedWhilePending()
    {
        PartitionReplica leader = await LeaderAsync(Three, [1, 2], partitionEpoch: 7);
        Append(leader, 10);
        leader.UpdateFollowerFetchState(2, 10, 0, Now);
        Assert.That(leader.HighWatermark, Is.EqualTo(10));
        Append(leader, 2);

        leader.UpdateFollowerFetchState(3, 10, 0, Now);
        leader.UpdateFollowerFetchState(3, 11, 0, Now);

        FakeControllerChannel.AlterPartitionCall call = _controller.Calls.Single();
        Assert.That((call.LeaderId, call.LeaderEpoch, call.PartitionEpoch, call.NewIsr), Is.EqualTo((1, 2, 7, new[] { 1, 2, 3 })));
        Assert.That(leader.PendingIsrChange?.Kind, Is.EqualTo(IsrChangeKind.Expand));
        Assert.That(leader.InSyncReplicas, Is.EqualTo(new[] { 1, 2 }), "not committed yet");
        Assert.That(leader.MaximalIsr, Is.EqualTo(Three));
        leader.UpdateFollowerFetchState(2, 12, 0, Now);
        Assert.That(leader.HighWatermark, Is.EqualTo(11), "the joining follower holds the high watermark back");

        call.Commit(Three);
        await leader.LastIsrChangeSent;

        Assert.That((leader.InSyncReplicas, leader.PartitionEpoch, leader.PendingIsrChange), Is.EqualTo((Three, 8, (PendingIsrChange?)null)));
    }

    [Test]
    public async Task AFencedFollower_CaughtUpOnItsWayOut_NeitherHoldsTheHighWatermark_NorIsProposed()
    {
        PartitionReplica leader = await LeaderAsync(Three, [1, 2]);
        // Node 3 is fenced (it stops after a controlled shutdown) but fetched once at the log end on its way out.
        leader.UseController(_controller, Lag, isrEligible: node => node != 3);
        Append(leader, 10);
        leader.UpdateFollowerFetchState(2, 10, 0, Now);
        leader.UpdateFollowerFetchState(3, 10, 0, Now);
        Append(leader, 5);

        leader.UpdateFollowerFetchState(2, 15, 0, Now);

        Assert.That(leader.HighWatermark, Is.EqualTo(15), "an eligible follower caught up at 10 would hold it there for the lag time");
        Assert.That(_controller.Calls, Is.Empty, "a fenced node is not proposed for the ISR");
    }

    [Test]
    public async Task FollowerBehindTheHighWatermark_IsNotProposed()
    {
        PartitionReplica leader = await LeaderAsync(Three, [1, 2]);
        Append(leader, 10);
        leader.UpdateFollowerFetchState(2, 10, 0, Now);

        leader.UpdateFollowerFetchState(3, 9, 0, Now);

        Assert.That(_controller.Calls, Is.Empty);
        Assert.That(leader.PendingIsrChange, Is.Null);
    }

    [Test]
    public async Task LaggingFollower_IsProposedOutOfTheIsr_AfterTheLagTime_AndHoldsTheHighWatermarkUntilCommitted()
    {
        PartitionReplica leader = await LeaderAsync(Three, Three);
        Append(leader, 10);
        leader.UpdateFollowerFetchState(2, 10, 0, Now);
        leader.UpdateFollowerFetchState(3, 4, 0, Now);
        Assert.That(leader.MaybeShrinkIsr(Now), Is.False, "in sync since the leadership began");

        Time.Advance(Lag + TimeSpan.FromMilliseconds(1));
        leader.UpdateFollowerFetchState(2, 10, 0, Now);
        Assert.That(leader.MaybeShrinkIsr(Now), Is.True);
        Assert.That(leader.MaybeShrinkIsr(Now), Is.False, "one change in flight");

        FakeControllerChannel.AlterPartitionCall call = _controller.Calls.Single();
        Assert.That(call.NewIsr, Is.EqualTo(new[] { 1, 2 }));
        Assert.That(leader.PendingIsrChange?.Kind, Is.EqualTo(IsrChangeKind.Shrink));
        Assert.That(leader.HighWatermark, Is.EqualTo(4), "the committed ISR still counts");

        call.Commit(Three);
        await leader.LastIsrChangeSent;

        Assert.That(leader.InSyncReplicas, Is.EqualTo(new[] { 1, 2 }));
        Assert.That(leader.HighWatermark, Is.EqualTo(10));
    }

    [Test]
    public async Task IsrExpirationScheduler_ShrinksOnItsTimer()
    {
        PartitionReplica leader = await LeaderAsync(Three, Three);
        await using var scheduler = new IsrExpirationScheduler(() => [leader], Time, IsrExpirationScheduler.IntervalFor(Lag));
        scheduler.Start();
        leader.UpdateFollowerFetchState(2, 0, 0, Now);
        leader.UpdateFollowerFetchState(3, 0, 0, Now);
        Append(leader, 1);

        Time.Advance(Lag / 2);
        Assert.That(scheduler.ShrinksProposed, Is.Zero);
        leader.UpdateFollowerFetchState(2, 1, 0, Now);
        Time.Advance(Lag / 2);
        Assert.That(scheduler.ShrinksProposed, Is.Zero, "follower 3 was caught up until the append, less than the lag time ago");
        Time.Advance(Lag / 2);

        Assert.That(scheduler.ShrinksProposed, Is.EqualTo(1));
        Assert.That(_controller.Calls.Single().NewIsr, Is.EqualTo(new[] { 1, 2 }));
    }

    [Test]
    public async Task StaleStates_AreIgnored_AndTheCurrentOneIsIdempotent()
    {
        PartitionReplica leader = await LeaderAsync(Three, Three, partitionEpoch: 4);

        Assert.That(leader.ApplyPartitionState(2, 3, Three, [1]), Is.False, "an older partition epoch");
        Assert.That(leader.ApplyPartitionState(2, 4, Three, [1]), Is.False, "the current one again");
        Assert.That(leader.ApplyPartitionState(1, 9, Three, [1]), Is.False, "another leader epoch");
        Assert.That(leader.InSyncReplicas, Is.EqualTo(Three));

        Assert.That(leader.ApplyPartitionState(2, 5, Three, [1, 3]), Is.True);
        Assert.That(leader.ApplyPartitionState(2, 5, Three, [1, 3]), Is.False);
        Assert.That((leader.InSyncReplicas, leader.PartitionEpoch), Is.EqualTo((new[] { 1, 3 }, 5)));
    }

    [Test]
    public async Task InvalidUpdateVersion_KeepsThePendingChangeUntilANewerImage()
    {
        PartitionReplica leader = await LeaderAsync(Three, [1, 2]);
        leader.UpdateFollowerFetchState(3, 0, 0, Now);
        _controller.Calls.Single().Answer.SetException(new InvalidUpdateVersionException(leader.Id, "stale"));
        await leader.LastIsrChangeSent;

        Assert.That(leader.PendingIsrChange, Is.Not.Null, "the image decides");
        leader.UpdateFollowerFetchState(3, 0, 0, Now);
        Assert.That(_controller.Calls, Has.Count.EqualTo(1));

        Assert.That(leader.ApplyPartitionState(2, 5, Three, [1, 2]), Is.True);
        Assert.That(leader.PendingIsrChange, Is.Null);
        leader.UpdateFollowerFetchState(3, 0, 0, Now);
        Assert.That(_controller.Calls[^1].PartitionEpoch, Is.EqualTo(5), "proposed again from the new state");
    }

    [Test]
    public async Task RefusedChange_ReturnsToTheCommittedState_AndIsProposedAgain()
    {
        PartitionReplica leader = await LeaderAsync(Three, [1, 2]);
        leader.UpdateFollowerFetchState(3, 0, 0, Now);
        _controller.Calls.Single().Answer.SetException(new IneligibleReplicaException(leader.Id, 3, "it is fenced"));
        await leader.LastIsrChangeSent;

        Assert.That((leader.PendingIsrChange, leader.MaximalIsr), Is.EqualTo(((PendingIsrChange?)null, new[] { 1, 2 })));
        leader.UpdateFollowerFetchState(3, 0, 0, Now);
        Assert.That(_controller.Calls, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task ResultOfAnotherLeadership_IsIgnored()
    {
        PartitionReplica leader = await LeaderAsync(Three, [1, 2]);
        leader.UpdateFollowerFetchState(3, 0, 0, Now);
        leader.BecomeLeader(3, 6, Three, [1, 2], 1);

        _controller.Calls.Single().Commit(Three);
        await leader.LastIsrChangeSent;

        Assert.That((leader.InSyncReplicas, leader.PartitionEpoch), Is.EqualTo((new[] { 1, 2 }, 6)));
    }

    [Test]
    public async Task WaitForHighWatermark_CompletesInOffsetOrder_WhenTheIsrReachesIt()
    {
        PartitionReplica leader = await LeaderAsync([1, 2], [1, 2]);
        Append(leader, 10);
        var order = new List<long>();
        Task later = leader.WaitForHighWatermarkAsync(8, Lag).AsTask().ContinueWith(_ => { lock (order) order.Add(8); }, TaskScheduler.Default);
        Task earlier = leader.WaitForHighWatermarkAsync(3, Lag).AsTask().ContinueWith(_ => { lock (order) order.Add(3); }, TaskScheduler.Default);

        leader.UpdateFollowerFetchState(2, 5, 0, Now);
        await earlier;
        Assert.That(later.IsCompleted, Is.False);
        leader.UpdateFollowerFetchState(2, 10, 0, Now);
        await later;

        Assert.That(order, Is.EqualTo(new[] { 3L, 8L }));
        Assert.That(leader.WaitForHighWatermarkAsync(10, Lag).IsCompletedSuccessfully, Is.True, "already there: no wait");
    }

    [Test]
    public async Task WaitForHighWatermark_TimesOutOnTheBrokersClock()
    {
        PartitionReplica leader = await LeaderAsync([1, 2], [1, 2]);
        Append(leader, 3);
        Task wait = leader.WaitForHighWatermarkAsync(3, TimeSpan.FromSeconds(5)).AsTask();

        Time.Advance(TimeSpan.FromSeconds(4));
        Assert.That(wait.IsCompleted, Is.False);
        Time.Advance(TimeSpan.FromSeconds(1));

        var e = Assert.ThrowsAsync<ReplicationTimeoutException>(async () => await wait)!;
        Assert.That((e.RequiredOffset, e.HighWatermark), Is.EqualTo((3L, 0L)));
    }

    [Test]
    public async Task WaitForHighWatermark_FailsWithNotLeader_WhenLeadershipIsLost()
    {
        PartitionReplica leader = await LeaderAsync([1, 2], [1, 2]);
        Append(leader, 3);
        Task wait = leader.WaitForHighWatermarkAsync(3, Lag).AsTask();

        leader.BecomeFollower(3, leaderId: 2);

        var e = Assert.ThrowsAsync<NotLeaderException>(async () => await wait)!;
        Assert.That(e.LeaderId, Is.EqualTo(2));
    }

    [Test]
    public async Task WaitForHighWatermark_IsCancelled()
    {
        PartitionReplica leader = await LeaderAsync([1, 2], [1, 2]);
        Append(leader, 3);
        using var cancel = new CancellationTokenSource();
        Task wait = leader.WaitForHighWatermarkAsync(3, Lag, cancel.Token).AsTask();

        await cancel.CancelAsync();

        Assert.That(async () => await wait, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task SoleLeader_AcksAllCompletesAtOnce()
    {
        Partition partition = (await _broker.CreateTopicAsync("t", new TopicConfig())).Partitions[0];
        PartitionReplica replica = partition.Replica;
        Append(replica, 4);

        Assert.That(replica.WaitForHighWatermarkAsync(4, TimeSpan.Zero).IsCompletedSuccessfully, Is.True);
        Assert.DoesNotThrow(replica.ThrowIfNotEnoughReplicas);
    }

    [Test]
    public async Task LongPoll_WithFollowers_IsWokenByTheHighWatermark()
    {
        PartitionReplica leader = await LeaderAsync([1, 2], [1, 2]);
        ValueTask<FetchResult> poll = leader.ReadCommittedAsync(0, 1 << 20, TimeSpan.FromSeconds(10), CancellationToken.None);
        Append(leader, 3);
        Assert.That(poll.IsCompleted, Is.False, "appended, not committed");

        leader.UpdateFollowerFetchState(2, 3, 0, Now);

        using FetchResult result = await poll;
        Assert.That(result.IsEmpty, Is.False);
    }

    [Test]
    public async Task LongPoll_WithFollowers_EndsEmptyAfterMaxWait()
    {
        PartitionReplica leader = await LeaderAsync([1, 2], [1, 2]);
        ValueTask<FetchResult> poll = leader.ReadCommittedAsync(0, 1 << 20, TimeSpan.FromSeconds(10), CancellationToken.None);
        Append(leader, 3);

        Time.Advance(TimeSpan.FromSeconds(10));

        using FetchResult result = await poll;
        Assert.That(result.IsEmpty, Is.True);
    }

    [Test]
    public async Task SingleReplica_IsSole()
    {
        PartitionReplica leader = await LeaderAsync([1], [1]);
        Append(leader, 3);

        Assert.That((leader.IsSole, leader.HighWatermark), Is.EqualTo((true, 3L)));
    }
}
