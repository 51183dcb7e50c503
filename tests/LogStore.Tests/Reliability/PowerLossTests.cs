namespace LogStore.Tests.Reliability;

/// <summary>
/// Power loss, which a SIGKILL cannot show (the page cache survives it): <see cref="PowerLossRun"/> in each case, CI
/// size. The soak tool runs the same loop longer. See tests/RELIABILITY.md, "Power loss".
/// </summary>
[TestFixture]
public sealed class PowerLossTests
{
    /// <summary>With the crash loop's topics (flush.messages=1: an append returns once fsynced), every append is
    /// acknowledged durable.</summary>
    [TestCase("roll", 10, 30, 6101)]
    [TestCase("retention", 15, 60, 6102)]
    [TestCase("compact", 15, 60, 6103)]
    [TestCase("producer", 12, 40, 6105)]
    public Task PowerLoss_EveryAppendFsynced_NoAcknowledgedRecordIsLost(string mode, int losses, int maxAppendsBetween, int seed) =>
        RunAsync(mode, flushedByHand: false, losses, maxAppendsBetween, seed);

    /// <summary>Without flush.messages, appends are durable only once a <see cref="Partition.FlushAsync"/> after them has
    /// returned: only those are acknowledged, and the rest may be lost, never half-returned or leaving a hole.</summary>
    [Test]
    public Task PowerLoss_FlushedByHand_RecordsBeforeTheLastFlushSurvive() =>
        RunAsync("roll", flushedByHand: true, losses: 10, maxAppendsBetween: 30, seed: 6104);

    /// <summary>Topics created while the crash topic rolls: every created topic, and every record acknowledged in it, is
    /// there after any power loss from the moment its creation returned.</summary>
    [Test]
    public Task PowerLoss_TopicsCreated_EveryCreatedTopicSurvives() =>
        RunAsync("topics", flushedByHand: false, losses: 8, maxAppendsBetween: 12, seed: 6106);

    /// <summary>A group commits offsets while the crash topic rolls: an acknowledged commit survives.</summary>
    [Test]
    public Task PowerLoss_GroupCommitsOffsets_AcknowledgedCommitSurvives() =>
        RunAsync("groups", flushedByHand: false, losses: 8, maxAppendsBetween: 12, seed: 6107);

    private static async Task RunAsync(string mode, bool flushedByHand, int losses, int maxAppendsBetween, int seed)
    {
        PowerLossFigures figures = await PowerLossRun.RunAsync(mode, flushedByHand, losses, maxAppendsBetween, seed);
        TestContext.Out.WriteLine(figures.ToString());
        PowerLossRun.AssertExercised(figures);
    }
}
