using System.Text;
using LogStore.Storage.Replication;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Storage.Replication;

/// <summary>
/// The replica seam of one partition: a leader append stamps the leader epoch and, alone, moves the high watermark to
/// the log end; a non-leader refuses appends with the leader it knows; a follower appends the leader's batches verbatim
/// only where its log ends; consumer reads stop at the high watermark, which never goes back and survives a reopen.
/// </summary>
public sealed class PartitionReplicaTests : BrokerFixture
{
    private const long ProducerId = 77;

    private ValueTask<Broker> OpenAsync() => Broker.OpenAsync(new BrokerOptions { DataDirectory = Dir.Path, TimeProvider = Time });

    private static async Task<Partition> PartitionAsync(Broker broker) =>
        broker.TryGetTopic("t", out Topic? topic) ? topic.Partitions[0] : (await broker.CreateTopicAsync("t", new TopicConfig())).Partitions[0];

    /// <summary>A leader's batch as a follower receives it: its offsets and epoch already set.</summary>
    private static RecordBatch LeaderBatch(long baseOffset, int count, int epoch)
    {
        byte[] bytes = Batches.Make((int)baseOffset, count);
        RecordBatch.SetBaseOffset(bytes, baseOffset);
        RecordBatch.SetPartitionLeaderEpoch(bytes, epoch);
        return RecordBatch.Parse(bytes);
    }

    private static RecordBatch IdempotentBatch(int baseSequence, int count)
    {
        using var builder = new RecordBatchBuilder { ProducerId = ProducerId, ProducerEpoch = 0, BaseSequence = baseSequence };
        for (int i = 0; i < count; i++)
            builder.Append(Batches.BaseTime, Encoding.UTF8.GetBytes("k"), Encoding.UTF8.GetBytes($"seq{baseSequence + i}"));
        return RecordBatch.Parse(builder.Build().Memory.ToArray());
    }

    private static List<(long Offset, int Epoch)> Batches_(FetchResult fetch)
    {
        var seen = new List<(long, int)>();
        foreach (RecordBatch batch in fetch)
            seen.Add((batch.BaseOffset, batch.PartitionLeaderEpoch));
        return seen;
    }

    [Test]
    public async Task LeaderAppendsRacingADemotion_AllCarryTheOldEpoch_NoneTheNewLeaders()
    {
        // A demotion sets the new epoch, then the follower role. A deposed leader's append that passed the role check in
        // between was stamped with the new leader's epoch: a batch the new leader never wrote, which truncation by epoch
        // would keep as the new leader's. Kafka holds the leader lock across the check and the append; so does LogStore.
        await using Broker broker = await OpenAsync();
        PartitionReplica replica = (await PartitionAsync(broker)).Replica;
        for (int round = 0; round < 20; round++)
        {
            int epoch = 2 * round + 1;
            replica.BecomeLeader(epoch);
            long start = replica.LogEndOffset;
            Task appending = Task.Run(() =>
            {
                for (int i = 0; i < 1_000_000; i++)
                {
                    try
                    {
                        replica.AppendAsLeader(Batches.Batch(Batches.Make(i, 1)));
                    }
                    catch (NotLeaderException)
                    {
                        return;
                    }
                }
            });
            while (replica.LogEndOffset == start && !appending.IsCompleted)
                await Task.Yield();

            replica.BecomeFollower(epoch + 1, leaderId: 2);
            await appending;

            Assert.That(replica.Log.LeaderEpochCache.LatestEpoch, Is.EqualTo(epoch),
                $"round {round}: no batch of epoch {epoch + 1} (the new leader's) was appended here");
        }
    }

    [Test]
    public async Task LeaderAppend_StampsTheLeaderEpoch_AndMovesTheHighWatermarkToTheLogEnd()
    {
        await using Broker broker = await OpenAsync();
        PartitionReplica replica = (await PartitionAsync(broker)).Replica;
        replica.BecomeLeader(5);

        AppendResult result = replica.AppendAsLeader(Batches.Batch(Batches.Make(0, 3)));

        Assert.That((result.BaseOffset, result.LastOffset), Is.EqualTo((0L, 2L)));
        Assert.That(replica.HighWatermark, Is.EqualTo(3));
        using FetchResult fetch = replica.ReadCommitted(0, 1 << 20);
        Assert.That(Batches_(fetch), Is.EqualTo(new[] { (0L, 5) }));
        Assert.That(replica.Log.EndOffsetForEpoch(5), Is.EqualTo((5, 3L)));
    }

    [Test]
    public async Task AppendOnAFollower_ThrowsNotLeader_NamingTheLeader_AndAppendsNothing()
    {
        await using Broker broker = await OpenAsync();
        PartitionReplica replica = (await PartitionAsync(broker)).Replica;
        replica.BecomeFollower(2, leaderId: 3);

        var e = Assert.Throws<NotLeaderException>(() => replica.AppendAsLeader(Batches.Batch(Batches.Make(0, 1))))!;

        Assert.That((e.TopicPartition, e.LeaderId), Is.EqualTo((replica.Id, (int?)3)));
        Assert.That(e.Message, Does.Contain("node 3"));
        Assert.That(replica.LogEndOffset, Is.Zero);
        Assert.Throws<NotLeaderException>(() => new PartitionReplica(replica.Log, ReplicaRole.None).AppendAsLeader(Batches.Batch(Batches.Make(0, 1))));
    }

    [Test]
    public async Task FollowerAppend_KeepsTheLeadersOffsetsAndEpochs_AndLearnsTheEpochs()
    {
        await using Broker broker = await OpenAsync();
        PartitionReplica replica = (await PartitionAsync(broker)).Replica;
        replica.BecomeFollower(4, leaderId: 1);
        RecordBatch[] batches = [LeaderBatch(0, 2, epoch: 1), LeaderBatch(2, 3, epoch: 1), LeaderBatch(5, 1, epoch: 4)];
        var results = new AppendResult[3];

        int appended = replica.AppendAsFollower(batches, leaderHighWatermark: 5, results, out LogStoreException? error);

        Assert.That((appended, error), Is.EqualTo((3, (LogStoreException?)null)));
        Assert.That(results.Select(r => r.BaseOffset), Is.EqualTo(new[] { 0L, 2L, 5L }));
        using FetchResult fetch = replica.ReadForFollower(0, 1 << 20);
        Assert.That(Batches_(fetch), Is.EqualTo(new[] { (0L, 1), (2L, 1), (5L, 4) }), "offsets and epochs verbatim");
        Assert.That(replica.Log.LeaderEpochCache.Entries().Select(e => (e.Epoch, e.StartOffset)), Is.EqualTo(new[] { (1, 0L), (4, 5L) }));
        Assert.That(replica.HighWatermark, Is.EqualTo(5), "the leader's high watermark, not the log end");
    }

    [TestCase(4L, TestName = "FollowerAppend_RefusesAGap_AndLeavesTheLogIntact")]
    [TestCase(1L, TestName = "FollowerAppend_RefusesAnOverlap_AndLeavesTheLogIntact")]
    public async Task FollowerAppend_RefusesABatchNotAtTheLogEnd(long baseOffset)
    {
        await using Broker broker = await OpenAsync();
        PartitionReplica replica = (await PartitionAsync(broker)).Replica;
        replica.BecomeFollower(1, leaderId: 1);
        var results = new AppendResult[2];
        replica.AppendAsFollower([LeaderBatch(0, 2, epoch: 1)], 2, results, out _);

        int appended = replica.AppendAsFollower([LeaderBatch(2, 1, epoch: 1), LeaderBatch(baseOffset, 1, epoch: 1)], 3, results,
            out LogStoreException? error);

        Assert.That(appended, Is.EqualTo(1), "the contiguous batch before the bad one is appended");
        var refused = (UnexpectedAppendOffsetException)error!;
        Assert.That((refused.FirstOffset, refused.LogEndOffset), Is.EqualTo((baseOffset, 3L)));
        Assert.That(replica.LogEndOffset, Is.EqualTo(3));
        using FetchResult fetch = replica.ReadForFollower(0, 1 << 20);
        Assert.That(Batches_(fetch).Select(b => b.Offset), Is.EqualTo(new[] { 0L, 2L }));
    }

    [Test]
    public async Task ConsumerReads_StopAtTheHighWatermark_FollowerFetchesReachTheLogEnd()
    {
        await using Broker broker = await OpenAsync();
        PartitionReplica replica = (await PartitionAsync(broker)).Replica;
        replica.BecomeFollower(1, leaderId: 1);
        replica.AppendAsFollower([LeaderBatch(0, 2, 1), LeaderBatch(2, 2, 1), LeaderBatch(4, 2, 1)], 4, new AppendResult[3], out _);

        using FetchResult committed = replica.ReadCommitted(0, 1 << 20);
        using FetchResult past = replica.ReadCommitted(4, 1 << 20);
        using FetchResult follower = replica.ReadForFollower(0, 1 << 20);

        Assert.That(Batches_(committed).Select(b => b.Offset), Is.EqualTo(new[] { 0L, 2L }));
        Assert.That(committed.HighWatermark, Is.EqualTo(4));
        Assert.That(past.IsEmpty, Is.True, "an offset between the high watermark and the log end reads empty");
        Assert.That(Batches_(follower).Select(b => b.Offset), Is.EqualTo(new[] { 0L, 2L, 4L }));
    }

    [Test]
    public async Task TheHighWatermark_NeverGoesBack()
    {
        await using Broker broker = await OpenAsync();
        PartitionReplica replica = (await PartitionAsync(broker)).Replica;
        replica.BecomeFollower(1, leaderId: 1);
        replica.AppendAsFollower([LeaderBatch(0, 4, 1)], 4, new AppendResult[1], out _);

        replica.AppendAsFollower([LeaderBatch(4, 1, 1)], leaderHighWatermark: 2, new AppendResult[1], out _);
        replica.AdvanceHighWatermark(1);

        Assert.That(replica.HighWatermark, Is.EqualTo(4));
    }

    /// <summary>A follower's log of 5 records with the leader's high watermark at 2, and the broker closed.</summary>
    private async Task FollowFiveRecordsTwoCommittedAsync()
    {
        await using Broker broker = await OpenAsync();
        PartitionReplica replica = (await PartitionAsync(broker)).Replica;
        replica.BecomeFollower(1, leaderId: 1);
        replica.AppendAsFollower([LeaderBatch(0, 2, 1), LeaderBatch(2, 3, 1)], 2, new AppendResult[2], out _);
    }

    [Test]
    public async Task TheHighWatermark_IsCheckpointed_AndLoadedAtReopen()
    {
        await FollowFiveRecordsTwoCommittedAsync();

        Assert.That(File.ReadAllText(Dir.Combine("replication-offset-checkpoint")), Does.Contain("t 0 2"));
        await using (Broker broker = await OpenAsync())
        {
            var replica = new PartitionReplica((await PartitionAsync(broker)).Log, ReplicaRole.Follower);
            Assert.That((replica.HighWatermark, replica.LogEndOffset), Is.EqualTo((2L, 5L)));
        }
    }

    [Test]
    public async Task WithoutAHighWatermarkCheckpoint_AClusterReplicaStartsAtTheLogStart_NotAtItsUncommittedLogEnd()
    {
        await FollowFiveRecordsTwoCommittedAsync();
        // As a power loss that kept the log but not the checkpoint leaves it: records 2..4 were never committed.
        File.Delete(Dir.Combine("replication-offset-checkpoint"));

        await using (Broker broker = await OpenAsync())
        {
            var log = (await PartitionAsync(broker)).Log;
            Assert.That(new PartitionReplica(log, ReplicaRole.None).HighWatermark, Is.Zero, "a consumer must not read the uncommitted tail");
            Assert.That(new PartitionReplica(log, ReplicaRole.Leader).HighWatermark, Is.EqualTo(5), "alone, everything in the log is committed");
        }
    }

    [Test]
    public async Task ThePartitionAndTheBroker_GoThroughTheReplica()
    {
        await using Broker broker = await OpenAsync();
        Partition p = await PartitionAsync(broker);
        await p.AppendAsync(Batches.Batch(Batches.Make(0, 2)));
        Assert.That(p.HighWatermark, Is.EqualTo(2), "alone, the high watermark is the log end");
        p.Replica.BecomeFollower(1, leaderId: 2);
        p.Replica.AppendAsFollower([LeaderBatch(2, 2, 1), LeaderBatch(4, 2, 1)], leaderHighWatermark: 4, new AppendResult[2], out _);

        Assert.That((p.HighWatermark, p.LogEndOffset), Is.EqualTo((4L, 6L)));
        using (FetchResult read = await p.ReadAsync(0, 1 << 20))
            Assert.That(Batches_(read).Select(b => b.Offset), Is.EqualTo(new[] { 0L, 2L }), "a consumer's read stops at the high watermark");
        var notLeader = Assert.ThrowsAsync<NotLeaderException>(async () => await p.AppendAsync(Batches.Batch(Batches.Make(0, 1))))!;
        Assert.That(notLeader.LeaderId, Is.EqualTo(2));
        Assert.ThrowsAsync<OffsetOutOfRangeException>(async () => await broker.DeleteRecordsAsync(p.Id, 5), "never past the high watermark");
        Assert.That(await broker.DeleteRecordsAsync(p.Id, 4), Is.EqualTo(4));
    }

    [Test]
    public async Task FollowerAppend_RecordsTheProducersSequences_SoTheNextLeaderAnswersARetry()
    {
        await using Broker broker = await OpenAsync();
        PartitionReplica replica = (await PartitionAsync(broker)).Replica;
        replica.BecomeFollower(1, leaderId: 1);
        RecordBatch fromLeader = IdempotentBatch(0, 3);
        replica.AppendAsFollower([fromLeader], 3, new AppendResult[1], out LogStoreException? error);
        Assert.That(error, Is.Null);

        replica.BecomeLeader(2);
        AppendResult retry = replica.AppendAsLeader(IdempotentBatch(0, 3));

        Assert.That((retry.BaseOffset, retry.LastOffset, replica.LogEndOffset), Is.EqualTo((0L, 2L, 3L)), "a retry, not a new append");
    }
}
