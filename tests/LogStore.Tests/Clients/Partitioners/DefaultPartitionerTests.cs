using System.Text;

namespace LogStore.Tests.Clients.Partitioners;

[TestFixture]
public sealed class DefaultPartitionerTests
{
    [Test]
    public void Partition_Key_IsMurmur2ModuloCount()
    {
        for (int i = 0; i < 200; i++)
        {
            byte[] key = Encoding.UTF8.GetBytes($"key-{i}");
            int expected = (Murmur2.Hash(key) & 0x7fffffff) % 12;
            Assert.That(DefaultPartitioner.Instance.Partition("t", key, keyIsNull: false, 12), Is.EqualTo(expected));
        }
    }

    [Test]
    public void Partition_NullKey_IsInRange()
    {
        for (int i = 0; i < 100; i++)
            Assert.That(DefaultPartitioner.Instance.Partition("t", [], keyIsNull: true, 5), Is.InRange(0, 4));
    }
}
