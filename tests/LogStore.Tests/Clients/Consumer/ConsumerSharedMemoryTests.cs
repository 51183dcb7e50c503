using System.Text;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Clients;

/// <summary>
/// Consumers with the built-in ReadOnlyMemory deserializer hand out views of the fetched bytes instead of copies (copies
/// where records are large): the memory must stay valid and unchanged however many fetches, decompressions and seeks
/// follow, and after disposal.
/// </summary>
[TestFixture]
public sealed class ConsumerSharedMemoryTests
{
    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    [TestCase(CompressionType.None)]
    [TestCase(CompressionType.Zstd)]
    [TestCase(CompressionType.Gzip)]
    public async Task ReadOnlyMemoryValues_AreViews_ThatStayValidAcrossFetchesAndAfterDispose(CompressionType compression)
    {
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = _dir.Path });
        Partition partition = (await broker.CreateTopicAsync("t")).Partitions[0];
        for (int first = 0; first < 400; first += 20)
            await ConsumerTestSupport.Append(partition, first, 20, compression);

        var kept = new List<ConsumeResult<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>>>();
        // Small fetches: many buffers are fetched, decoded and left behind while the views are kept.
        await using (IConsumer<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>> consumer = broker.CreateConsumer(
            new ConsumerOptions { MaxPartitionFetchBytes = 256, FetchMaxBytes = 1024 }, Deserializers.ReadOnlyMemory, Deserializers.ReadOnlyMemory))
        {
            consumer.Assign([new TopicPartitionOffset(partition.Id, 0)]);
            while (kept.Count < 400 && await consumer.ConsumeAsync(TimeSpan.Zero) is { } result)
                kept.Add(result);
            consumer.Seek(new TopicPartitionOffset(partition.Id, 5));
            Assert.That((await consumer.ConsumeAsync(TimeSpan.Zero))!.Offset, Is.EqualTo(5));
        }

        // Other reads reuse pooled buffers; the views must not see them.
        await using (IConsumer<string, string> other = broker.CreateConsumer<string, string>(new ConsumerOptions { MaxPartitionFetchBytes = 256, FetchMaxBytes = 1024 }))
        {
            other.Assign([new TopicPartitionOffset(partition.Id, 0)]);
            await ConsumerTestSupport.Drain(other);
        }
        GC.Collect();

        Assert.That(kept.Select(r => r.Offset), Is.EqualTo(Enumerable.Range(0, 400).Select(i => (long)i)));
        Assert.That(kept.Select(r => Encoding.UTF8.GetString(r.Message.Key.Span)), Is.EqualTo(Enumerable.Range(0, 400).Select(i => $"k{i}")));
        Assert.That(kept.Select(r => Encoding.UTF8.GetString(r.Message.Value.Span)), Is.EqualTo(Enumerable.Range(0, 400).Select(i => $"v{i}")));
    }

    [TestCase(CompressionType.None)]
    [TestCase(CompressionType.Zstd)]
    public async Task ReadOnlyMemoryValues_RecordsGrowingAndShrinking_StayValid_WhetherViewsOrCopies(CompressionType compression)
    {
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = _dir.Path });
        Partition partition = (await broker.CreateTopicAsync("t")).Partitions[0];
        // Small records (views of the fetch), large ones (copies), small again: each switch happens between fetches,
        // with a fetch of the old kind possibly read ahead already.
        int[] sizes = [.. Enumerable.Repeat(20, 300), .. Enumerable.Repeat(3000, 120), .. Enumerable.Repeat(20, 300)];
        Partition decoy = (await broker.CreateTopicAsync("decoy")).Partitions[0];
        for (int first = 0; first < sizes.Length; first += 10)
        {
            using var builder = new RecordBatchBuilder(compression);
            using var decoyBuilder = new RecordBatchBuilder(compression);
            for (int i = first; i < first + 10; i++)
            {
                builder.Append(Batches.BaseTime, Encoding.UTF8.GetBytes($"k{i}"), ValueOf(i, sizes[i]));
                decoyBuilder.Append(Batches.BaseTime, Encoding.UTF8.GetBytes($"d{i}"), ValueOf(i + 7, sizes[i]));
            }
            await partition.AppendAsync(builder.Build());
            await decoy.AppendAsync(decoyBuilder.Build());
        }

        var kept = new List<ConsumeResult<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>>>();
        await using (IConsumer<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>> consumer = broker.CreateConsumer(
            new ConsumerOptions { MaxPartitionFetchBytes = 8192 }, Deserializers.ReadOnlyMemory, Deserializers.ReadOnlyMemory))
        {
            consumer.Assign([new TopicPartitionOffset(partition.Id, 0)]);
            while (kept.Count < sizes.Length && await consumer.ConsumeAsync(TimeSpan.Zero) is { } result)
                kept.Add(result);
        }
        // Pooled fetch and decompression buffers go to other readers of other bytes; neither views nor copies may see them.
        await using (IConsumer<string, string> other = broker.CreateConsumer<string, string>(new ConsumerOptions { MaxPartitionFetchBytes = 8192 }))
        {
            other.Assign([new TopicPartitionOffset(decoy.Id, 0)]);
            await ConsumerTestSupport.Drain(other);
        }
        GC.Collect();

        Assert.That(kept.Select(r => r.Offset), Is.EqualTo(Enumerable.Range(0, sizes.Length).Select(i => (long)i)));
        for (int i = 0; i < sizes.Length; i++)
        {
            Assert.That(Encoding.UTF8.GetString(kept[i].Message.Key.Span), Is.EqualTo($"k{i}"));
            Assert.That(kept[i].Message.Value.ToArray(), Is.EqualTo(ValueOf(i, sizes[i])), $"value at {i}");
        }
    }

    private static byte[] ValueOf(int offset, int size)
    {
        byte[] value = new byte[size];
        for (int j = 0; j < size; j++)
            value[j] = (byte)(offset * 31 + j);
        return value;
    }

    [Test]
    public async Task ReadOnlyMemoryValue_NullAndEmpty_AreEmpty_AndOtherDeserializersStillCopy()
    {
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = _dir.Path });
        Partition partition = (await broker.CreateTopicAsync("t")).Partitions[0];
        using (var builder = new RecordBatchBuilder())
        {
            builder.Append(Batches.BaseTime, default, default, keyIsNull: true, valueIsNull: true);
            builder.Append(Batches.BaseTime, "k"u8, ReadOnlySpan<byte>.Empty);
            await partition.AppendAsync(builder.Build());
        }

        await using IConsumer<Null, ReadOnlyMemory<byte>> consumer = broker.CreateConsumer(new ConsumerOptions(), Deserializers.Null, Deserializers.ReadOnlyMemory);
        consumer.Assign([new TopicPartitionOffset(partition.Id, 0)]);
        ConsumeResult<Null, ReadOnlyMemory<byte>> tombstone = (await consumer.ConsumeAsync(TimeSpan.Zero))!;
        ConsumeResult<Null, ReadOnlyMemory<byte>> empty = (await consumer.ConsumeAsync(TimeSpan.Zero))!;
        Assert.That((tombstone.Message.Value.Length, empty.Message.Value.Length), Is.EqualTo((0, 0)));
        Assert.That(Deserializers.ReadOnlyMemory.Deserialize("ab"u8, false).ToArray(), Is.EqualTo("ab"u8.ToArray()), "called directly it copies");
    }
}
