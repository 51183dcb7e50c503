using LogStore.Storage.Files;
using LogStore.Storage.Producers;
using LogStore.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace LogStore.Tests.Storage;

[TestFixture]
public class ProducerIdManagerTests
{
    [Test]
    public void NodesOfACluster_StartingAtTheSameInstant_NeverHandOutTheSameId()
    {
        // Three nodes, one clock: without their own blocks they would all start at the clock's block.
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20_000));
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        using var c = new TempDirectory();
        var managers = new[]
        {
            new ProducerIdManager(a.Path, FileSystem.Disk, time, slot: 0, slots: 3),
            new ProducerIdManager(b.Path, FileSystem.Disk, time, slot: 1, slots: 3),
            new ProducerIdManager(c.Path, FileSystem.Disk, time, slot: 2, slots: 3),
        };
        var seen = new HashSet<long>();

        for (int i = 0; i < 3 * ProducerIdManager.BlockSize + 7; i++)
        {
            foreach (ProducerIdManager manager in managers)
                Assert.That(seen.Add(manager.NextProducerId()), Is.True, $"an id was handed out twice (round {i})");
        }
    }

    [Test]
    public void ANodesBlocks_AreItsOwn_AndNeverBeforeTheCandidate()
    {
        var manager = new ProducerIdManager("unused", FileSystem.Disk, TimeProvider.System, slot: 2, slots: 5);
        foreach (long candidate in new long[] { 0, 1, 999, 1000, 2000, 2001, 7_000, 123_456_789 })
        {
            long start = manager.OwnBlockAtOrAfter(candidate);
            Assert.That(start, Is.GreaterThanOrEqualTo(candidate));
            Assert.That(start % ProducerIdManager.BlockSize, Is.Zero);
            Assert.That(start / ProducerIdManager.BlockSize % 5, Is.EqualTo(2), $"candidate {candidate}");
            Assert.That(start - candidate, Is.LessThan(5L * ProducerIdManager.BlockSize));
        }
    }

    [Test]
    public void ASingleNode_TakesTheNextBlock()
    {
        var manager = new ProducerIdManager("unused", FileSystem.Disk, TimeProvider.System);
        Assert.That(manager.OwnBlockAtOrAfter(1), Is.EqualTo(1000));
        Assert.That(manager.OwnBlockAtOrAfter(5000), Is.EqualTo(5000));
    }
}
