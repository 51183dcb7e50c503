using System.Buffers;
using System.Text;

namespace LogStore.Tests.Clients.Producer;

/// <summary>
/// Keys of every built-in serializer, with a byte-array value (the producer's path that skips the scratch buffer): each
/// record's stored key is what the key's serializer writes, for short and long strings, non-ASCII text, empty and
/// null keys alike, and the default partitioner places them by those bytes.
/// </summary>
[TestFixture]
public sealed class ProducerKeyTests : ProducerFixture
{
    private static readonly byte[] Value = [1, 2, 3];

    private static byte[] Serialized<T>(ISerializer<T> serializer, T key)
    {
        var written = new ArrayBufferWriter<byte>();
        serializer.Serialize(key, written);
        return written.WrittenSpan.ToArray();
    }

    private async Task AssertStoredKeys<TKey>(ISerializer<TKey> serializer, TKey[] keys, int partitions = 1)
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t", new TopicConfig { Partitions = partitions });
        await using (IProducer<TKey, byte[]> producer = broker.CreateProducer<TKey, byte[]>(new ProducerOptions(), serializer, Serializers.ByteArray))
        {
            foreach (TKey key in keys)
                producer.Produce("t", new Message<TKey, byte[]> { Key = key, Value = Value });
            await producer.FlushAsync();
        }
        var stored = new List<byte[]?>();
        foreach (Partition partition in topic.Partitions)
        {
            var (records, _, _) = await StoredRecords.ReadAll(partition);
            foreach (StoredRecord record in records)
            {
                Assert.That(record.Value, Is.EqualTo(Value));
                if (record.Key is { } key && partitions > 1)
                    Assert.That(partition.Id.Partition, Is.EqualTo((Murmur2.Hash(key) & 0x7fffffff) % partitions), "placed by the key's bytes");
                stored.Add(record.Key);
            }
        }
        byte[]?[] expected = [.. keys.Select(k => k is null ? null : Serialized(serializer, k))];
        Assert.That(stored, Is.EquivalentTo(expected));
    }

    [Test]
    public Task Int64Keys_AreStoredBigEndian() => AssertStoredKeys(Serializers.Int64, [0L, 1L, -1L, long.MaxValue, 0x0102030405060708L], partitions: 3);

    [Test]
    public Task Int32Keys_AreStoredBigEndian() => AssertStoredKeys(Serializers.Int32, [0, 7, -7, int.MinValue], partitions: 3);

    [Test]
    public Task StringKeys_AreStoredAsUtf8_ShortLongAndNonAscii() =>
        AssertStoredKeys(Serializers.Utf8, ["", "k", "ключ-日本-🙂", new string('x', 32), new string('y', 33), new string('é', 200), null!], partitions: 3);

    [Test]
    public Task ByteArrayKeys_AreStoredAsTheyAre() => AssertStoredKeys(Serializers.ByteArray, [[], [0], [9, 8, 7], new byte[5000], null!], partitions: 3);

    [Test]
    public Task MemoryKeys_AreStoredAsTheyAre() =>
        AssertStoredKeys(Serializers.ReadOnlyMemory, [ReadOnlyMemory<byte>.Empty, new byte[] { 1, 2, 3, 4 }.AsMemory(1, 2)], partitions: 3);
}
