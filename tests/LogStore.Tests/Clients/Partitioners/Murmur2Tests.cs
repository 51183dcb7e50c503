using System.Text;

namespace LogStore.Tests.Clients.Partitioners;

[TestFixture]
public sealed class Murmur2Tests
{
    // The values Java's org.apache.kafka.common.utils.Utils.murmur2 returns (Kafka's UtilsTest).
    [TestCase("21", -973932308)]
    [TestCase("foobar", -790332482)]
    [TestCase("a-little-bit-long-string", -985981536)]
    [TestCase("a-little-bit-longer-string", -1486304829)]
    [TestCase("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971)]
    [TestCase("abc", 479470107)]
    public void Hash_MatchesKafkaJava(string key, int expected) =>
        Assert.That(Murmur2.Hash(Encoding.UTF8.GetBytes(key)), Is.EqualTo(expected));

    [Test]
    public void Hash_EveryTailLength_IsStableAndDistinct()
    {
        // Lengths 0..8 cover each tail of 0–3 bytes after 0, 1 and 2 whole blocks.
        var hashes = new HashSet<int>();
        for (int length = 0; length <= 8; length++)
            Assert.That(hashes.Add(Murmur2.Hash(Encoding.ASCII.GetBytes(new string('x', length)))), Is.True);
        Assert.That(Murmur2.Hash([]), Is.EqualTo(Murmur2.Hash(ReadOnlySpan<byte>.Empty)));
    }

    [Test]
    public void ToPositive_ClearsTheSignBitOnly()
    {
        Assert.That(Murmur2.ToPositive(int.MinValue), Is.Zero);
        Assert.That(Murmur2.ToPositive(-1), Is.EqualTo(int.MaxValue));
        Assert.That(Murmur2.ToPositive(-790332482), Is.EqualTo(-790332482 & 0x7fffffff));
        Assert.That(Murmur2.ToPositive(12345), Is.EqualTo(12345));
    }

    [TestCase("foobar", 3)]
    [TestCase("21", 10)]
    [TestCase("abc", 7)]
    [TestCase("a-little-bit-longer-string", 100)]
    public void Partition_IsToPositiveOfHashModuloCount(string key, int partitions)
    {
        int javaHash = key switch
        {
            "foobar" => -790332482,
            "21" => -973932308,
            "abc" => 479470107,
            _ => -1486304829,
        };
        Assert.That(Murmur2.Partition(Encoding.UTF8.GetBytes(key), partitions), Is.EqualTo((javaHash & 0x7fffffff) % partitions));
    }

    [Test]
    public void Partition_NonPositiveCount_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Murmur2.Partition([1], 0));
}
