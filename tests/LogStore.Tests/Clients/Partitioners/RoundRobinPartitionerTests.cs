namespace LogStore.Tests.Clients.Partitioners;

[TestFixture]
public sealed class RoundRobinPartitionerTests
{
    [Test]
    public void Partition_CyclesPerTopic_WhateverTheKey()
    {
        var partitioner = new RoundRobinPartitioner();
        int[] a = [.. Enumerable.Range(0, 7).Select(i => partitioner.Partition("a", [1], false, 3))];
        int first = partitioner.Partition("b", [], true, 4);
        Assert.That(a, Is.EqualTo(new[] { 0, 1, 2, 0, 1, 2, 0 }));
        Assert.That(first, Is.Zero, "each topic has its own counter");
    }
}
