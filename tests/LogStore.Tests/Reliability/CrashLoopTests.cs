namespace LogStore.Tests.Reliability;

/// <summary>
/// Issue 5's crash loop: a child process (tests/LogStore.CrashHost) produces durably — or, in the <c>consume</c>
/// mode, consumes with a group and commits — and prints each acknowledgement; the test SIGKILLs it after a
/// seeded-random number of them, checks a copy of what the kill left on disk (<see cref="CrashLoopChecker"/>), and
/// starts the next child on the crashed store itself, so the child's own recovery is checked by the next round.
/// The loop itself is <see cref="CrashLoopRunner"/>, shared with the soak tool. See tests/RELIABILITY.md.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class CrashLoopTests
{
    /// <summary>The CI setting: every mode, 95 kills in all (producer 30, roll 20, retention 15, compaction 15,
    /// consumer commits 15). The soak setting (hundreds of kills) is the soak tool's (tests/LogStore.Soak).</summary>
    [TestCase("producer", 30, 300, 5101)]
    [TestCase("roll", 20, 80, 5102)]
    [TestCase("retention", 15, 150, 5103)]
    [TestCase("compact", 15, 150, 5104)]
    [TestCase("consume", 15, 60, 5105)]
    public async Task CrashLoop_SigkillAtRandomMoments_EveryAcknowledgedRecordSurvivesIntact(string mode, int kills, int maxAcksBetweenKills, int seed)
    {
        CrashLoopFigures figures = await CrashLoopRunner.RunAsync(mode, kills, maxAcksBetweenKills, seed);
        TestContext.Out.WriteLine(figures.ToString());
        CrashLoopRunner.AssertModeExercised(figures);
    }
}
