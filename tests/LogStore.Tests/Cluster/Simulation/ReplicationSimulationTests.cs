namespace LogStore.Tests.Cluster.Simulation;

/// <summary>
/// The replication simulation's histories (see <see cref="ReplicationHistory"/>): in the suite a fixed set of seeds in
/// both durability modes; the soak runs many more (LOGSTORE_SIMULATION_HISTORIES, LOGSTORE_SIMULATION_SEED).
/// </summary>
[TestFixture]
[NonParallelizable]
public class ReplicationSimulationTests
{
    private static int Histories => int.TryParse(Environment.GetEnvironmentVariable("LOGSTORE_SIMULATION_HISTORIES"), out int n) ? n : 8;

    private static int FirstSeed => int.TryParse(Environment.GetEnvironmentVariable("LOGSTORE_SIMULATION_SEED"), out int s) ? s : 1;

    [Test]
    [CancelAfter(600_000)]
    public async Task SeededHistories_LoseNoAcknowledgedRecord_AndEndInIdenticalReplicas([Values] bool flushBeforeAcknowledge, CancellationToken cancellationToken)
    {
        int faults = 0, acknowledged = 0;
        for (int i = 0; i < Histories; i++)
        {
            int seed = FirstSeed + i;
            var history = new ReplicationHistory(seed, flushBeforeAcknowledge, steps: 40);
            try
            {
                await history.RunAsync(cancellationToken);
            }
            catch (Exception e) when (e is not AssertionException)
            {
                Assert.Fail($"history failed: {e}\n{history.Describe()}");
            }
            faults += history.Faults;
            acknowledged += history.Acknowledged;
        }
        TestContext.Out.WriteLine($"{Histories} histories from seed {FirstSeed}: {faults} faults, {acknowledged} acknowledged records, none lost");
        Assert.That(acknowledged, Is.GreaterThan(0), "no history acknowledged anything: the simulation tested nothing");
    }
}
