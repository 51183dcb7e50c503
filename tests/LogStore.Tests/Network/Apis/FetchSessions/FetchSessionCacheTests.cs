using LogStore.Network.Apis.FetchSessions;
using LogStore.Protocol;

namespace LogStore.Tests.Network.Apis.FetchSessions;

/// <summary>The session cache's bound and Kafka's eviction rule (stale first, then the least valuable, followers
/// above consumers, young sessions safe from consumers), and the session bookkeeping of the fetch manager.</summary>
[TestFixture]
public sealed class FetchSessionCacheTests
{
    private const long EvictionMs = 120_000;
    private const int Seed = 227;

    private static FetchSessionCache Cache(int slots) => new(slots, EvictionMs, new Random(Seed));

    private static FetchSession? Create(FetchSessionCache cache, long now, int partitions, bool privileged = false) =>
        cache.MaybeCreateSession(now, privileged, usesTopicIds: true, partitions, session =>
        {
            var topic = Guid.NewGuid();
            for (int p = 0; p < partitions; p++)
                session.Add(new CachedPartition(new FetchPartitionKey(topic, "", p), "", new FetchRequest.Partition { PartitionIndex = p }));
        });

    [Test]
    public void MaybeCreateSession_FirstEpochIsOne_IdsUniqueAndPositive()
    {
        FetchSessionCache cache = Cache(100);

        FetchSession[] sessions = [.. Enumerable.Range(0, 100).Select(_ => Create(cache, 0, 1)!)];

        Assert.That(sessions.Select(s => s.Id), Is.Unique.And.All.GreaterThan(0), $"seed {Seed}");
        Assert.That(sessions.Select(s => s.Epoch), Is.All.EqualTo(1));
        Assert.That((cache.Count, cache.TotalPartitions), Is.EqualTo((100, 100L)));
    }

    [Test]
    public void Full_YoungSessions_AreSafeFromConsumers()
    {
        FetchSessionCache cache = Cache(2);
        Create(cache, 0, 1);
        Create(cache, 0, 1);

        Assert.That(Create(cache, 1000, 50), Is.Null, "no slot: the client fetches without a session");
        Assert.That(cache.Count, Is.EqualTo(2));
    }

    [Test]
    public void Full_AStaleSessionIsEvictedFirst()
    {
        FetchSessionCache cache = Cache(2);
        FetchSession stale = Create(cache, 0, 10)!;
        FetchSession used = Create(cache, 0, 1)!;
        cache.Touch(used, EvictionMs);

        FetchSession? created = Create(cache, EvictionMs + 1, 1);

        Assert.That(created, Is.Not.Null);
        Assert.That(cache.Get(stale.Id), Is.Null, "unused for longer than the eviction interval");
        Assert.That(cache.Get(used.Id), Is.SameAs(used));
        Assert.That(cache.Evictions, Is.EqualTo(1));
    }

    [Test]
    public void Full_AnOldSmallerSessionIsEvictedByALargerOne_NotByASmallerOne()
    {
        FetchSessionCache cache = Cache(2);
        FetchSession small = Create(cache, 0, 2)!;
        FetchSession large = Create(cache, 0, 8)!;
        // Both used recently (not stale) but created long ago (evictable).
        long now = EvictionMs + 10;
        cache.Touch(small, now);
        cache.Touch(large, now);

        Assert.That(Create(cache, now, 1), Is.Null, "one partition is worth less than the smallest session's two");
        FetchSession? bigger = Create(cache, now, 3);

        Assert.That(bigger, Is.Not.Null);
        Assert.That(cache.Get(small.Id), Is.Null);
        Assert.That(cache.Get(large.Id), Is.SameAs(large));
    }

    [Test]
    public void Full_AFollowerEvictsAYoungConsumerSession_ButNotAYoungFollowerOne()
    {
        FetchSessionCache cache = Cache(2);
        FetchSession consumer = Create(cache, 0, 50)!;
        FetchSession follower = Create(cache, 0, 1, privileged: true)!;

        FetchSession? created = Create(cache, 10, 1, privileged: true);

        Assert.That(created, Is.Not.Null);
        Assert.That(cache.Get(consumer.Id), Is.Null);
        Assert.That(Create(cache, 20, 100, privileged: true), Is.Null, "two young follower sessions are safe");
        Assert.That(cache.Get(follower.Id), Is.SameAs(follower));
    }

    [Test]
    public void ZeroSlots_NoSessionEver()
    {
        FetchSessionCache cache = Cache(0);

        Assert.That(Create(cache, 0, 1, privileged: true), Is.Null);
    }

    [Test]
    public void Remove_FreesTheSlotAndItsPartitions()
    {
        FetchSessionCache cache = Cache(1);
        FetchSession session = Create(cache, 0, 4)!;

        Assert.That(cache.Remove(session.Id), Is.True);
        Assert.That(cache.Remove(session.Id), Is.False);
        Assert.That((cache.Count, cache.TotalPartitions), Is.EqualTo((0, 0L)));
        Assert.That(Create(cache, 0, 1), Is.Not.Null);
    }

    [Test]
    public void NextEpoch_WrapsToOne_NeverZero()
    {
        Assert.That(FetchMetadata.NextEpoch(0), Is.EqualTo(1));
        Assert.That(FetchMetadata.NextEpoch(int.MaxValue), Is.EqualTo(1));
        Assert.That(FetchMetadata.NextEpoch(-1), Is.EqualTo(-1));
    }
}
