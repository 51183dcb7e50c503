using LogStore.Storage.Epochs;

namespace LogStore.Tests.Storage.Epochs;

/// <summary>
/// The leader-epoch cache against the cases of Kafka's <c>LeaderEpochFileCacheTest</c>: each case assigns entries in
/// order, applies one operation, and states the entries or the answer that follow.
/// </summary>
[TestFixture]
public sealed class LeaderEpochFileCacheTests
{
    private const long LogEnd = 100;

    private static LeaderEpochFileCache Cache(params (int Epoch, long Start)[] assigned)
    {
        var cache = new LeaderEpochFileCache(null, [], dirty: false);
        foreach ((int epoch, long start) in assigned)
            cache.Assign(epoch, start);
        return cache;
    }

    private static (int, long)[] Entries(LeaderEpochFileCache cache) => [.. cache.Entries().Select(e => (e.Epoch, e.StartOffset))];

    public static IEnumerable<TestCaseData> AssignCases()
    {
        yield return new TestCaseData(new[] { (2, 6L) }, new[] { (2, 6L) }).SetName("Assign_OneEpoch_IsKept");
        yield return new TestCaseData(new[] { (2, 6L), (2, 7L) }, new[] { (2, 6L) }).SetName("Assign_SameEpochLater_DoesNotMoveItsStart");
        yield return new TestCaseData(new[] { (2, 6L), (2, 6L) }, new[] { (2, 6L) }).SetName("Assign_SameEntryTwice_KeepsOne");
        yield return new TestCaseData(new[] { (2, 6L), (3, 5L) }, new[] { (3, 5L) }).SetName("Assign_NewerEpochAtSmallerOffset_ReplacesTheOlder");
        yield return new TestCaseData(new[] { (5, 11L), (6, 12L), (7, 13L), (7, 12L) }, new[] { (5, 11L), (7, 12L) })
            .SetName("Assign_LatestEpochEarlier_TruncatesEntriesFromThere");
        yield return new TestCaseData(new[] { (2, 6L), (3, 8L), (1, 7L) }, new[] { (1, 7L) }).SetName("Assign_OlderEpoch_RemovesTheEpochsAtOrAboveIt");
        yield return new TestCaseData(new[] { (2, 6L), (3, 8L), (4, 11L) }, new[] { (2, 6L), (3, 8L), (4, 11L) }).SetName("Assign_IncreasingBoth_KeepsAll");
    }

    [TestCaseSource(nameof(AssignCases))]
    public void Assign((int, long)[] assigned, (int, long)[] expected) =>
        Assert.That(Entries(Cache(assigned)), Is.EqualTo(expected));

    public static IEnumerable<TestCaseData> EndOffsetCases()
    {
        (int, long)[] none = [];
        (int, long)[] three = [(2, 5), (3, 6), (4, 7)];
        (int, long)[] gaps = [(0, 10), (2, 13), (4, 17)];
        yield return new TestCaseData(none, 0, (-1, -1L)).SetName("EndOffsetFor_EmptyCache_IsUndefined");
        yield return new TestCaseData(none, -1, (-1, -1L)).SetName("EndOffsetFor_EmptyCacheUndefinedEpoch_IsUndefined");
        yield return new TestCaseData(three, -1, (-1, -1L)).SetName("EndOffsetFor_UndefinedEpoch_IsUndefined");
        yield return new TestCaseData(three, 4, (4, LogEnd)).SetName("EndOffsetFor_LatestEpoch_IsTheLogEnd");
        yield return new TestCaseData(three, 3, (3, 7L)).SetName("EndOffsetFor_EarlierEpoch_IsTheNextEpochsStart");
        yield return new TestCaseData(new (int, long)[] { (5, 11), (6, 12), (7, 13) }, 4, (4, 11L))
            .SetName("EndOffsetFor_EpochBelowTheFirst_IsTheFirstStart");
        yield return new TestCaseData(gaps, 1, (0, 13L)).SetName("EndOffsetFor_UnknownEpochBetween_IsTheFloorEpochAndNextStart");
        yield return new TestCaseData(gaps, 3, (2, 17L)).SetName("EndOffsetFor_UnknownEpochBeforeTheLatest_IsTheFloorEpoch");
        yield return new TestCaseData(gaps, 2, (2, 17L)).SetName("EndOffsetFor_KnownMiddleEpoch_IsTheNextStart");
        yield return new TestCaseData(new (int, long)[] { (2, 100) }, 3, (-1, -1L)).SetName("EndOffsetFor_EpochAboveTheLatest_IsUndefined");
        yield return new TestCaseData(new (int, long)[] { (2, 6) }, 2, (2, LogEnd)).SetName("EndOffsetFor_EpochsNotFromZero_Work");
    }

    [TestCaseSource(nameof(EndOffsetCases))]
    public void EndOffsetFor((int, long)[] assigned, int requested, (int, long) expected) =>
        Assert.That(Cache(assigned).EndOffsetFor(requested, LogEnd), Is.EqualTo(expected));

    public static IEnumerable<TestCaseData> TruncateFromStartCases()
    {
        yield return new TestCaseData(11L, new[] { (4, 11L) }).SetName("TruncateFromStart_AtTheLatestStart_KeepsOnlyIt");
        yield return new TestCaseData(9L, new[] { (3, 9L), (4, 11L) }).SetName("TruncateFromStart_BetweenEpochs_MovesTheCoveringStart");
        yield return new TestCaseData(1L, new[] { (2, 6L), (3, 8L), (4, 11L) }).SetName("TruncateFromStart_BeforeTheFirst_ChangesNothing");
        yield return new TestCaseData(6L, new[] { (2, 6L), (3, 8L), (4, 11L) }).SetName("TruncateFromStart_AtTheFirst_ChangesNothing");
        yield return new TestCaseData(15L, new[] { (4, 15L) }).SetName("TruncateFromStart_PastTheLatest_MovesItsStart");
        yield return new TestCaseData(-1L, new[] { (2, 6L), (3, 8L), (4, 11L) }).SetName("TruncateFromStart_Undefined_ChangesNothing");
    }

    [TestCaseSource(nameof(TruncateFromStartCases))]
    public void TruncateFromStart(long offset, (int, long)[] expected)
    {
        LeaderEpochFileCache cache = Cache((2, 6), (3, 8), (4, 11));
        cache.TruncateFromStart(offset);
        Assert.That(Entries(cache), Is.EqualTo(expected));
    }

    public static IEnumerable<TestCaseData> TruncateFromEndCases()
    {
        yield return new TestCaseData(8L, new[] { (2, 6L) }).SetName("TruncateFromEnd_OnAnEpochBoundary_DropsFromIt");
        yield return new TestCaseData(9L, new[] { (2, 6L), (3, 8L) }).SetName("TruncateFromEnd_BetweenBoundaries_DropsLaterEpochs");
        yield return new TestCaseData(12L, new[] { (2, 6L), (3, 8L), (4, 11L) }).SetName("TruncateFromEnd_PastTheLatestStart_ChangesNothing");
        yield return new TestCaseData(0L, Array.Empty<(int, long)>()).SetName("TruncateFromEnd_AtZero_ClearsAll");
        yield return new TestCaseData(-1L, new[] { (2, 6L), (3, 8L), (4, 11L) }).SetName("TruncateFromEnd_Undefined_ChangesNothing");
    }

    [TestCaseSource(nameof(TruncateFromEndCases))]
    public void TruncateFromEnd(long offset, (int, long)[] expected)
    {
        LeaderEpochFileCache cache = Cache((2, 6), (3, 8), (4, 11));
        cache.TruncateFromEnd(offset);
        Assert.That(Entries(cache), Is.EqualTo(expected));
        Assert.That(cache.LatestEpoch, Is.EqualTo(expected.Length == 0 ? -1 : expected[^1].Item1));
    }

    [Test]
    public void Assign_NegativeEpochOrOffset_IsRefused()
    {
        LeaderEpochFileCache cache = Cache((1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => cache.Assign(-1, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => cache.Assign(2, -5));
        Assert.That(Entries(cache), Is.EqualTo(new[] { (1, 0L) }));
    }

    [Test]
    public void Changes_MarkTheCacheDirty_UntilWritten()
    {
        LeaderEpochFileCache cache = Cache();
        Assert.That(cache.IsDirty, Is.False);
        cache.Assign(0, 0);
        Assert.That(cache.IsDirty, Is.True);
        cache.Assign(0, 3);
        cache.TruncateFromEnd(50);
        cache.TruncateFromStart(0);
        Assert.That(Entries(cache), Is.EqualTo(new[] { (0, 0L) }), "no-ops change nothing");
    }
}
