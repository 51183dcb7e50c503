namespace LogStore.Tests.Cluster.Simulation;

/// <summary>
/// The replication simulation's histories (see <see cref="ReplicationHistory"/>): in the suite a fixed set of seeds in
/// both durability modes; the soak runs many more (LOGSTORE_SIMULATION_HISTORIES, LOGSTORE_SIMULATION_SEED). Histories
/// share nothing (each has its own network, clock and directories) and spend most of their real time waiting for
/// messages between their nodes, so several run at once.
/// </summary>
[TestFixture]
[NonParallelizable]
public class ReplicationSimulationTests
{
    private static int Histories => int.TryParse(Environment.GetEnvironmentVariable("LOGSTORE_SIMULATION_HISTORIES"), out int n) ? n : 500;

    private static int FirstSeed => int.TryParse(Environment.GetEnvironmentVariable("LOGSTORE_SIMULATION_SEED"), out int s) ? s : 1;

    private static int AtOnce => int.TryParse(Environment.GetEnvironmentVariable("LOGSTORE_SIMULATION_PARALLEL"), out int p) ? p : 4 * Environment.ProcessorCount;

    [Test]
    public async Task SeededHistories_LoseNoAcknowledgedRecord_AndEndInIdenticalReplicas([Values] bool flushBeforeAcknowledge)
    {
        // A history takes about 0.1 s of real time; a second each is a generous bound, and it scales with the soak's count.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60 + Histories));
        CancellationToken cancellationToken = timeout.Token;
        int faults = 0, acknowledged = 0;
        var failures = new System.Collections.Concurrent.ConcurrentBag<(int Seed, string Failure)>();
        var started = System.Diagnostics.Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(FirstSeed, Histories),
            new ParallelOptions { MaxDegreeOfParallelism = AtOnce, CancellationToken = cancellationToken },
            async (seed, token) =>
            {
                var history = new ReplicationHistory(seed, flushBeforeAcknowledge, steps: 40);
                try
                {
                    await history.RunAsync(token);
                }
                catch (AssertionException e)
                {
                    failures.Add((seed, e.Message));
                }
                catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
                {
                    failures.Add((seed, $"history failed: {e}\n{history.Describe()}"));
                }
                Interlocked.Add(ref faults, history.Faults);
                Interlocked.Add(ref acknowledged, history.Acknowledged);
            });
        if (!failures.IsEmpty)
        {
            var first = failures.MinBy(f => f.Seed);
            Assert.Fail($"{failures.Count} of {Histories} histories failed (seeds {string.Join(", ", failures.Select(f => f.Seed).Order())}); seed {first.Seed}: {first.Failure}");
        }
        TestContext.Out.WriteLine($"{Histories} histories from seed {FirstSeed} ({AtOnce} at once, {started.Elapsed.TotalSeconds:F0} s): {faults} faults, {acknowledged} acknowledged records, none lost");
        Assert.That(acknowledged, Is.GreaterThan(0), "no history acknowledged anything: the simulation tested nothing");
    }
}
