using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Storage.Replication.Fetching;

/// <summary>
/// Truncation by leader epoch end to end, with histories built by hand on two brokers (each side appends as a leader of
/// the epochs it led, then the follower follows): Kafka's cases of a follower ahead with a tail of an old epoch, a leader
/// answering an epoch the follower never had (KIP-279), the two failovers of KAFKA-6361, and a leader whose log starts
/// past the follower's end. After catch-up the logs are the same, byte for byte where both hold the same files.
/// </summary>
public sealed class ReplicaFetcherTruncationTests
{
    private static readonly TopicConfig Config = new() { SegmentBytes = 1 << 20 };

    /// <summary>Appends batches of 5 records on the leader node in <paramref name="epoch"/>; ids set the records' content.</summary>
    private static async Task LeadAsync(Partition partition, int epoch, params int[] batchIds)
    {
        ReplicationPair.Lead(partition, epoch);
        await AppendAsync(partition, batchIds);
    }

    /// <summary>The follower node's own history: what it appended when it led <paramref name="epoch"/> alone.</summary>
    private static async Task LedAloneAsync(Partition partition, int epoch, params int[] batchIds)
    {
        partition.Replica.BecomeLeader(epoch);
        await AppendAsync(partition, batchIds);
    }

    private static async Task AppendAsync(Partition partition, int[] batchIds)
    {
        foreach (int id in batchIds)
            await partition.AppendAsync(Batches.Batch(Batches.Make(id * 5, 5)));
    }

    private static async Task AssertConvergedAsync(ReplicationPair pair, Partition leader, Partition follower)
    {
        // The follower's log may end where the leader's does before it truncates: wait for the leader's epochs too.
        await pair.WaitUntilAsync(() => follower.Log.LeaderEpochCache.Entries().SequenceEqual(leader.Log.LeaderEpochCache.Entries()),
            "the follower holds the leader's epochs");
        await pair.CaughtUpAsync(leader, follower);
        ReplicationPair.AssertSameSegments(leader, follower);
    }

    [Test]
    public async Task FollowerAheadWithAnOldEpochTail_IsCutWhereTheLeadersEpochEnds()
    {
        await using ReplicationPair pair = await ReplicationPair.StartAsync();
        (Partition leader, Partition follower) = await pair.CreateTopicAsync("t", Config);
        await LeadAsync(leader, 0, 0, 1, 2, 3);
        await LeadAsync(leader, 2, 10, 11);
        // The follower led epoch 1 alone: offsets 20..34 never reached the leader of epoch 2.
        await LedAloneAsync(follower, 0, 0, 1, 2, 3);
        await LedAloneAsync(follower, 1, 20, 21, 22);

        pair.Follow(follower, 2);

        await AssertConvergedAsync(pair, leader, follower);
        Assert.That(pair.Logs.WithId(6303).Single().Message, Does.Contain("from 35 to 20"));
        Assert.That(pair.Fetchers.Stats.Truncations, Is.EqualTo(1));
    }

    [Test]
    public async Task LeaderAnswersAnEpochTheFollowerNeverHad_SearchGoesOnDownTheEpochs()
    {
        await using ReplicationPair pair = await ReplicationPair.StartAsync();
        (Partition leader, Partition follower) = await pair.CreateTopicAsync("t", Config);
        await LeadAsync(leader, 0, 0, 1);
        await LeadAsync(leader, 3, 10);
        await LeadAsync(leader, 5, 11);
        await LedAloneAsync(follower, 0, 0, 1);
        await LedAloneAsync(follower, 2, 20);
        await LedAloneAsync(follower, 4, 21);

        pair.Follow(follower, 5);

        await AssertConvergedAsync(pair, leader, follower);
        // Asked 4, the leader answered its epoch 3 (ending at 15): cut to where our epoch 2 ends, 15; asked 2, answered
        // epoch 0 ending at 10: cut to 10.
        Assert.That(pair.Logs.WithId(6303).Select(e => e.Message), Has.Some.Contains("from 20 to 15").And.Some.Contains("from 15 to 10"));
    }

    [Test]
    public async Task Kafka6361_TwoFailoversInARow_FollowerDropsItsDivergentRecord()
    {
        await using ReplicationPair pair = await ReplicationPair.StartAsync();
        (Partition a, Partition b) = await pair.CreateTopicAsync("t", Config);
        // A leads epoch 1 and writes m0, m1; B copies m0 only. A dies; B leads epoch 2 and writes its own n1 at m1's offset.
        // B dies; A returns, leads epoch 3 and writes m2. B returns as follower.
        await LeadAsync(a, 1, 0, 1);
        await LedAloneAsync(b, 1, 0);
        await LedAloneAsync(b, 2, 50);
        await LeadAsync(a, 3, 2);

        pair.Follow(b, 3);

        // Before KIP-279, B asked epoch 2, heard A's offset 10 (where A's epoch 3 begins), kept n1 and diverged for good.
        await AssertConvergedAsync(pair, a, b);
        List<(long Offset, string Key, string Value, long Timestamp)> records = await Batches.ReadAll(b);
        Assert.That(records.Select(r => r.Value), Does.Not.Contain("v250"), "B's n1 is gone");
        Assert.That(records.Where(r => r.Offset >= 5 && r.Offset < 10).Select(r => r.Value), Is.EqualTo(new[] { "v5", "v6", "v7", "v8", "v9" }));
    }

    [Test]
    public async Task LeadersLogStartsPastTheFollowersEnd_FollowerStartsOverThere()
    {
        await using ReplicationPair pair = await ReplicationPair.StartAsync();
        (Partition leader, Partition follower) = await pair.CreateTopicAsync("t", Config);
        await LeadAsync(leader, 0, 0, 1, 2, 3);
        leader.Replica.DeleteRecordsBefore(12);
        await LedAloneAsync(follower, 0, 0);
        follower.Replica.BecomeFollower(0, ReplicationPair.LeaderId);
        // A follower's log (offsets 0..4) that the leader removed: asked for offset 5, the leader answers out of range.

        pair.Follow(follower, 0);

        await pair.CaughtUpAsync(leader, follower);
        // Restarted at the leader's log start 12, then at 10, the base of the leader's batch holding 12 (batches are whole),
        // then moved its log start up to the leader's again.
        await pair.WaitUntilAsync(() => follower.LogStartOffset == 12, "the follower's log starts where the leader's does");
        Assert.That(pair.Logs.WithId(6306), Has.Count.EqualTo(2));
        List<(long Offset, string Key, string Value, long Timestamp)> records = await Batches.ReadAll(follower, 12);
        Assert.That(records.Select(r => r.Offset), Is.EqualTo(Enumerable.Range(12, 8).Select(i => (long)i)));
    }
}
