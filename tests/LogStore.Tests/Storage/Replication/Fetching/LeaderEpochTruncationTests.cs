using LogStore.Storage.Epochs;
using LogStore.Storage.Replication.Fetching;

namespace LogStore.Tests.Storage.Replication.Fetching;

/// <summary>
/// The follower's truncation rule by leader epoch (KIP-101, KIP-279), on epoch caches alone: single answers, and whole
/// searches against a simulated leader (its answers from its own cache, as the OffsetForLeaderEpoch API gives them),
/// including Kafka's KAFKA-6361 two-failovers divergence.
/// </summary>
public sealed class LeaderEpochTruncationTests
{
    private static LeaderEpochFileCache Cache(params (int Epoch, long Start)[] entries) =>
        new(null, entries.Select(e => new EpochEntry(e.Epoch, e.Start)), dirty: false);

    private static OffsetTruncationState? Decide(LeaderEpochFileCache local, long logEnd, int asked, int leaderEpoch, long leaderEnd,
        long highWatermark = 0, int? probed = null) =>
        LeaderEpochTruncation.Decide(local, logEnd, highWatermark, asked, probed, leaderEpoch, leaderEnd);

    /// <summary>Runs the search as the fetcher does: ask for the local latest epoch (or 0 while probing), cut, repeat.</summary>
    private static (long LogEnd, int Rounds) Converge(LeaderEpochFileCache local, long logEnd, long highWatermark, LeaderEpochFileCache leader,
        long leaderLogEnd)
    {
        int? probed = null;
        for (int round = 1; round <= 20; round++)
        {
            int asked = probed is null ? local.LatestEpoch : 0;
            if (probed is null && asked < 0)
                return (logEnd, round - 1);
            (int epoch, long end) = leader.EndOffsetFor(asked, leaderLogEnd);
            OffsetTruncationState state = Decide(local, logEnd, asked, epoch, end, highWatermark, probed)!.Value;
            if (state.Offset < logEnd)
            {
                logEnd = state.Offset;
                local.TruncateFromEnd(logEnd);
            }
            probed = state.ProbeEpoch;
            if (state.Completed)
                return (logEnd, round);
        }
        Assert.Fail("the search did not end within 20 rounds");
        return default;
    }

    [Test]
    public void Decide_LeaderEndsOurEpochEarlier_TruncatesToTheLeadersEnd()
    {
        Assert.That(Decide(Cache((0, 0), (1, 10)), 15, asked: 1, leaderEpoch: 1, leaderEnd: 12), Is.EqualTo(new OffsetTruncationState(12, true)));
    }

    [Test]
    public void Decide_LeaderAhead_CutsNothing()
    {
        Assert.That(Decide(Cache((0, 0)), 10, asked: 0, leaderEpoch: 0, leaderEnd: 20), Is.EqualTo(new OffsetTruncationState(10, true)));
    }

    [Test]
    public void Decide_FollowerAheadWithAnOldEpochTail_TruncatesWhereTheLeadersEpochEnds()
    {
        // Epoch 1 was ours alone (we led it and lost it): the leader's answer for it is epoch 0 ending at 10.
        Assert.That(Decide(Cache((0, 0), (1, 10)), 15, asked: 1, leaderEpoch: 0, leaderEnd: 10), Is.EqualTo(new OffsetTruncationState(10, true)));
    }

    [Test]
    public void Decide_LeaderAnswersAnEpochWeNeverHad_CutsToOurEpochBelowAndAsksAgain()
    {
        // KIP-279: the leader's epoch 3 is unknown here; our epoch 2 ends at 8 (where our epoch 4 began).
        Assert.That(Decide(Cache((0, 0), (2, 5), (4, 8)), 12, asked: 4, leaderEpoch: 3, leaderEnd: 20), Is.EqualTo(new OffsetTruncationState(8, false)));
    }

    [Test]
    public void Decide_UndefinedForALaterEpoch_ProbesWhetherTheLeaderHasEpochs()
    {
        Assert.That(Decide(Cache((0, 0), (5, 10)), 15, asked: 5, leaderEpoch: -1, leaderEnd: -1),
            Is.EqualTo(new OffsetTruncationState(15, false, ProbeEpoch: 5)));
    }

    [Test]
    public void Decide_ProbeAnsweredUndefined_FallsBackToTheHighWatermark()
    {
        Assert.That(Decide(Cache((0, 0), (5, 10)), 15, asked: 0, leaderEpoch: -1, leaderEnd: -1, highWatermark: 11, probed: 5),
            Is.EqualTo(new OffsetTruncationState(11, true)));
        Assert.That(Decide(Cache((0, 0)), 15, asked: 0, leaderEpoch: -1, leaderEnd: -1, highWatermark: 11),
            Is.EqualTo(new OffsetTruncationState(11, true)), "epoch 0 asked: undefined already means no epochs");
    }

    [Test]
    public void Decide_ProbeAnsweredWithEpochs_CutsThePobedEpochAndAsksAgain()
    {
        Assert.That(Decide(Cache((0, 0), (5, 10)), 15, asked: 0, leaderEpoch: 0, leaderEnd: 8, highWatermark: 11, probed: 5),
            Is.EqualTo(new OffsetTruncationState(10, false)));
    }

    [Test]
    public void Decide_AnswerAboveTheAskedEpoch_IsRefused()
    {
        Assert.That(Decide(Cache((0, 0), (1, 10)), 15, asked: 1, leaderEpoch: 2, leaderEnd: 12), Is.Null);
    }

    [Test]
    public void Converge_Kafka6361_TwoFailoversInARow_TruncatesBelowTheDivergence()
    {
        // A led epoch 1 and wrote offsets 0 and 1; B copied only offset 0. A died; B led epoch 2 and wrote its own offset 1;
        // B died and A came back to lead epoch 3, writing offset 2. Before KIP-279, B asked epoch 2, got A's log end 3, kept
        // its offset 1 of epoch 2 and diverged for good.
        var leader = Cache((1, 0), (3, 2));
        var follower = Cache((1, 0), (2, 1));

        (long logEnd, int rounds) = Converge(follower, logEnd: 2, highWatermark: 1, leader, leaderLogEnd: 3);

        Assert.That(logEnd, Is.EqualTo(1), "B's offset 1 of epoch 2 is cut; it fetches A's offset 1 of epoch 1");
        Assert.That(rounds, Is.EqualTo(1));
    }

    [Test]
    public void Converge_LeaderAnswersOlderEpochs_SearchesDownToTheLastAgreement()
    {
        // The leader (epoch 5 now) answers our epoch 4 with its epoch 3, which we never had, then our 2 with its 0.
        var leader = Cache((0, 0), (3, 6), (5, 15));
        var follower = Cache((0, 0), (2, 5), (4, 8));

        (long logEnd, int rounds) = Converge(follower, logEnd: 12, highWatermark: 5, leader, leaderLogEnd: 20);

        Assert.That((logEnd, rounds), Is.EqualTo((5L, 2)));
        Assert.That(follower.Entries(), Is.EqualTo(new[] { new EpochEntry(0, 0) }));
    }

    [Test]
    public void Converge_EpochUnknownToALeaderWithEpochs_CutsItWithoutTheHighWatermark()
    {
        // We led epoch 5 alone; the leader never had it (its latest is 4, nothing appended in its new epoch yet).
        var leader = Cache((0, 0), (4, 10));
        var follower = Cache((0, 0), (5, 10));

        (long logEnd, _) = Converge(follower, logEnd: 14, highWatermark: 13, leader, leaderLogEnd: 12);

        Assert.That(logEnd, Is.EqualTo(10), "epoch 5 is cut whole even below the high watermark; epoch 0 agrees up to 10");
    }

    [Test]
    public void Converge_LeaderWithoutEpochs_FallsBackToTheHighWatermark()
    {
        (long logEnd, _) = Converge(Cache((0, 0), (5, 10)), logEnd: 14, highWatermark: 12, Cache(), leaderLogEnd: 12);

        Assert.That(logEnd, Is.EqualTo(12));
    }

    [Test]
    public void Converge_SeededRandomHistories_LeaveAPrefixOfTheLeadersEpochs()
    {
        const int seed = 6361;
        var random = new Random(seed);
        for (int history = 0; history < 200; history++)
        {
            // A shared prefix of epochs, then each side's own tail of epochs the other never had (the leader's higher).
            var shared = new List<(int, long)>();
            long offset = 0;
            int epoch = 0;
            for (int i = random.Next(1, 4); i > 0; i--, epoch += random.Next(1, 3))
            {
                shared.Add((epoch, offset));
                offset += random.Next(1, 5);
            }
            long cut = offset - random.Next(0, 2);
            cut = Math.Max(cut, shared[^1].Item2 + 1);
            var followerEntries = new List<(int, long)>(shared);
            var leaderEntries = new List<(int, long)>(shared);
            long followerEnd = cut, leaderEnd = cut;
            int followerEpoch = epoch + random.Next(0, 2), leaderEpoch = followerEpoch + 1 + random.Next(0, 2);
            if (random.Next(2) == 0)
            {
                followerEntries.Add((followerEpoch, followerEnd));
                followerEnd += random.Next(1, 5);
            }
            leaderEntries.Add((leaderEpoch, leaderEnd));
            leaderEnd += random.Next(1, 5);

            (long logEnd, _) = Converge(Cache([.. followerEntries]), followerEnd, highWatermark: 0, Cache([.. leaderEntries]), leaderEnd);

            Assert.That(logEnd, Is.EqualTo(cut), $"seed {seed}, history {history}: follower {string.Join(",", followerEntries)} to {followerEnd}, " +
                $"leader {string.Join(",", leaderEntries)} to {leaderEnd}");
        }
    }
}
