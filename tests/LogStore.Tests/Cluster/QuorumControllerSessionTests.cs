using LogStore.Cluster.Controller;

namespace LogStore.Tests.Cluster;

/// <summary>
/// When the controller fences a silent node: at its session's end, not on a coarse period; and after a controller
/// failover, the node whose controller was replaced has no fresh session (its last Raft contact counts), while every
/// other node gets a whole one from the new controller; and a heartbeat renews a session while the controller is busy
/// committing another command. Session time is the cluster's fake clock.
/// </summary>
[NonParallelizable]
public sealed class QuorumControllerSessionTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Session = ControllerCluster.SessionTimeout;

    [Test]
    public async Task SilentNode_IsFencedAtItsSessionsEnd_WithoutWaitingForAPeriodicCheck()
    {
        using var timeout = new CancellationTokenSource(Bound);
        await using var cluster = await ControllerCluster.StartAllAsync(timeout.Token);
        // Sessions that start off the controller's start, so their end falls between the checks of a periodic timer.
        cluster.Time.Advance(Session / 8);
        await cluster.RegisterNodesAsync(timeout.Token);
        cluster.Time.Advance(Session / 2);
        await cluster.HeartbeatAsync(timeout.Token, 2, 3);

        // A session after the controllers started (where a check every quarter session would look), then past the end of
        // node 1's session: the controller's own timer must fence it (nobody calls FenceExpiredNodesAsync).
        cluster.Time.Advance(Session * 3 / 8);
        cluster.Time.Advance(Session / 8 + TimeSpan.FromMilliseconds(2));
        while (!cluster.Running.All(c => c.Image.Nodes[1].Fenced))
        {
            Assert.That(timeout.IsCancellationRequested, Is.False, "node 1 was not fenced at its session's end");
            await Task.Delay(10, CancellationToken.None);
        }
        var image = cluster.Running.First().Image;
        Assert.That(image.Nodes[2].Fenced || image.Nodes[3].Fenced, Is.False, image.Describe());
    }

    [Test]
    public async Task NewController_CountsTheFormerControllersSessionFromItsLastContact_AndGivesOthersAWholeOne()
    {
        using var timeout = new CancellationTokenSource(Bound);
        await using var cluster = await ControllerCluster.StartAllAsync(timeout.Token);
        await cluster.RegisterNodesAsync(timeout.Token);
        QuorumController old = await cluster.WaitForActiveAsync(timeout.Token);
        int formerNode = cluster.IndexOf(old) + 1;
        int[] others = [.. Enumerable.Range(1, 3).Where(n => n != formerNode)];

        // The active controller (node formerNode's) crashes; another is elected while the session clock stands still.
        await cluster.StopAsync(cluster.IndexOf(old));
        QuorumController next = await cluster.WaitForActiveAsync(timeout.Token);
        await cluster.HeartbeatAsync(timeout.Token, others);

        // Less than a session after the new controller started, but a session after the former one's last contact
        // (an election timeout, 300 ms here, before the loss).
        cluster.Time.Advance(Session - TimeSpan.FromMilliseconds(200));
        await cluster.OnActiveAsync(c => c.FenceExpiredNodesAsync(timeout.Token), timeout.Token);
        string text = await cluster.WaitForEqualImagesAsync(timeout.Token);

        var image = next.Image;
        Assert.That(image.Nodes[formerNode].Fenced, Is.True, $"node {formerNode} (the former controller) kept a fresh session\n{text}");
        Assert.That(others.Select(n => image.Nodes[n].Fenced), Is.All.False, text);
    }

    [Test]
    public async Task RoutineHeartbeat_RenewsTheSession_WhileACommandHoldsTheQueue()
    {
        using var timeout = new CancellationTokenSource(Bound);
        // The held command blocks a pool thread, and Raft's clocks are real: with the pool's one thread per core, two
        // here, its heartbeats waited for a thread long enough that an election moved the controller under the command
        // (CI, once; one run of five here). Two spare threads keep Raft's timers going. Should an election still happen
        // (a loaded machine), the command fails with NotControllerException, which shows nothing about sessions either
        // way, and the scenario runs again on a fresh cluster.
        ThreadPool.GetMinThreads(out int workers, out int completionPorts);
        ThreadPool.SetMinThreads(workers + 2, completionPorts);
        try
        {
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    await HeartbeatWhileACommandHoldsTheQueue(timeout);
                    return;
                }
                catch (NotControllerException e) when (attempt < 3)
                {
                    TestContext.Out.WriteLine($"attempt {attempt}: the controller moved under the held command ({e.Message}); again");
                }
            }
        }
        finally
        {
            ThreadPool.SetMinThreads(workers, completionPorts);
        }
    }

    private static async Task HeartbeatWhileACommandHoldsTheQueue(CancellationTokenSource timeout)
    {
        await using var cluster = await ControllerCluster.StartAllAsync(timeout.Token);
        await cluster.RegisterNodesAsync(timeout.Token);
        QuorumController active = await cluster.WaitForActiveAsync(timeout.Token);

        // A command that holds the controller's queue, as one waiting for a slow fsync of the metadata log does.
        using var release = new ManualResetEventSlim();
        var held = new HeldConfigs(release);
        Task command = Task.Run(() => active.CreateTopicAsync("held", 1, 1, configs: held).AsTask(), CancellationToken.None);
        try
        {
            await held.Entered.Task.WaitAsync(timeout.Token);
            cluster.Time.Advance(Session * 3 / 4);
            await active.HeartbeatAsync(2, 1, timeout.Token).AsTask().WaitAsync(timeout.Token);
            await active.HeartbeatAsync(3, 1, timeout.Token).AsTask().WaitAsync(timeout.Token);
            // Past node 1's session (registered, then silent); a quarter session left for nodes 2 and 3.
            cluster.Time.Advance(Session / 2);
        }
        finally
        {
            release.Set();
        }
        await command.WaitAsync(timeout.Token);
        while (!active.Image.Nodes[1].Fenced)
        {
            Assert.That(timeout.IsCancellationRequested, Is.False, "node 1 was not fenced");
            await Task.Delay(10, CancellationToken.None);
        }
        var image = active.Image;
        Assert.That(image.Nodes[2].Fenced || image.Nodes[3].Fenced, Is.False, image.Describe());
    }

    /// <summary>Topic settings whose enumeration, inside the controller's command, waits for <paramref name="release"/>.</summary>
    private sealed class HeldConfigs(ManualResetEventSlim release) : IReadOnlyList<(string Name, string Value)>
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Count => 0;

        public (string Name, string Value) this[int index] => throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<(string Name, string Value)> GetEnumerator()
        {
            Entered.TrySetResult();
            release.Wait(Bound);
            yield break;
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
