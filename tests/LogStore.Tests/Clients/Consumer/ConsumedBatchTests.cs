using System.Text;
using LogStore.Clients.Groups;
using LogStore.Tests.TestSupport;
using static LogStore.Tests.Clients.ConsumerTestSupport;

namespace LogStore.Tests.Clients;

/// <summary>
/// The lending consumer (<see cref="IConsumer{TKey, TValue}.ConsumeBatchAsync"/>): records lent as spans equal what was
/// produced, positions and commits move with the enumeration, a batch is unusable once it ended, rebalances wait for
/// the batch, and damaged data is never lent.
/// </summary>
[TestFixture]
public sealed class ConsumedBatchTests : BrokerFixture
{
    private Broker _broker = null!;

    [SetUp]
    public async Task OpenBroker() => _broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = Dir.Path, TimeProvider = Time });

    [TearDown]
    public async Task CloseBroker() => await _broker.DisposeAsync();

    private sealed record Lent(TopicPartition Partition, long Offset, string? Key, string? Value, long Timestamp, string Headers);

    private IConsumer<string, string> Create(ConsumerOptions? options = null) =>
        _broker.CreateConsumer<string, string>(options ?? new ConsumerOptions());

    private async Task<Partition> Partition(int partitions = 1) =>
        (await _broker.CreateTopicAsync("t", new TopicConfig { Partitions = partitions })).Partitions[0];

    /// <summary>Copies every record of <paramref name="batch"/> out (all of them unless <paramref name="max"/>), and
    /// checks that the batch's first record is still readable at the end (it may lie in an earlier, compressed batch).</summary>
    private static List<Lent> Read(ConsumedBatch batch, int max = int.MaxValue)
    {
        var lent = new List<Lent>();
        ConsumedRecord first = default;
        string? firstValue = null;
        foreach (ConsumedRecord record in batch)
        {
            if (lent.Count == 0)
            {
                first = record;
                firstValue = record.IsValueNull ? null : Encoding.UTF8.GetString(record.Value);
            }
            var headers = new StringBuilder();
            foreach (RecordHeader header in record.Headers)
                headers.Append(header.GetKeyString()).Append('=').Append(header.IsValueNull ? "null" : Encoding.UTF8.GetString(header.Value)).Append(';');
            Assert.That(record.TopicPartition, Is.EqualTo(batch.TopicPartition));
            lent.Add(new Lent(record.TopicPartition, record.Offset, record.IsKeyNull ? null : Encoding.UTF8.GetString(record.Key),
                record.IsValueNull ? null : Encoding.UTF8.GetString(record.Value), record.UnixTimestampMs, headers.ToString()));
            if (lent.Count == max)
                break;
        }
        if (lent.Count > 0)
            Assert.That(first.IsValueNull ? null : Encoding.UTF8.GetString(first.Value), Is.EqualTo(firstValue), "the first record of a batch stays readable to its end");
        return lent;
    }

    /// <summary>Lends batches without waiting until none comes; returns their records and how many batches there were.</summary>
    /// <param name="consumer">The consumer.</param>
    /// <param name="seen">Called with each batch's records right after the batch, before the next call.</param>
    private static async Task<(List<Lent> Records, int Batches)> LendAll(IConsumer<string, string> consumer, Action<List<Lent>>? seen = null)
    {
        var records = new List<Lent>();
        int batches = 0;
        while (true)
        {
            // The shape IConsumer.ConsumeBatchAsync's documentation shows: a using of the nullable batch.
            List<Lent> lent;
            using (ConsumedBatch? batch = await consumer.ConsumeBatchAsync(TimeSpan.Zero))
            {
                if (batch is not { } lending)
                    break;
                lent = Read(lending);
            }
            seen?.Invoke(lent);
            records.AddRange(lent);
            batches++;
        }
        return (records, batches);
    }

    [TestCase(CompressionType.None)]
    [TestCase(CompressionType.Gzip)]
    [TestCase(CompressionType.Snappy)]
    [TestCase(CompressionType.Lz4)]
    [TestCase(CompressionType.Zstd)]
    public async Task ConsumeBatchAsync_ProducedRecords_AreLentAsProduced(CompressionType compression)
    {
        Partition p = await Partition();
        const int count = 1000;
        // Small producer batches: one lent batch walks many (compressed) record batches of one fetch.
        await using (IProducer<string?, string?> producer = _broker.CreateProducer<string?, string?>(new ProducerOptions { Compression = compression, BatchSize = 2048 }))
        {
            for (int i = 0; i < count; i++)
            {
                producer.Produce("t", new Message<string?, string?>
                {
                    Key = i % 3 == 0 ? null : $"k{i}",
                    Value = i % 10 == 9 ? null : $"value-{i}-{new string('x', i % 50)}",
                    Headers = i % 2 == 0 ? new Headers { { "a", Encoding.UTF8.GetBytes($"h{i}") }, { "b", null } } : null,
                    Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime + i),
                });
            }
            await producer.FlushAsync();
        }
        await using IConsumer<string, string> consumer = Create(new ConsumerOptions { MaxPollRecords = 400 });
        consumer.Assign([new TopicPartitionOffset(p.Id, 0)]);

        (List<Lent> records, int batches) = await LendAll(consumer);

        Assert.That(records.Select(r => r.Offset), Is.EqualTo(Enumerable.Range(0, count).Select(i => (long)i)));
        Assert.That(records.Select(r => r.Key), Is.EqualTo(Enumerable.Range(0, count).Select(i => i % 3 == 0 ? null : $"k{i}")));
        Assert.That(records.Select(r => r.Value), Is.EqualTo(Enumerable.Range(0, count).Select(i => i % 10 == 9 ? null : $"value-{i}-{new string('x', i % 50)}")));
        Assert.That(records.Select(r => r.Headers), Is.EqualTo(Enumerable.Range(0, count).Select(i => i % 2 == 0 ? $"a=h{i};b=null;" : "")));
        Assert.That(records.Select(r => r.Timestamp), Is.EqualTo(Enumerable.Range(0, count).Select(i => Batches.BaseTime + i)));
        Assert.That(records.Select(r => r.Partition), Is.All.EqualTo(p.Id));
        Assert.That(batches, Is.GreaterThanOrEqualTo(3), "at most MaxPollRecords per batch");
        Assert.That(consumer.Position(p.Id), Is.EqualTo(count));
    }

    [Test]
    public async Task ConsumeBatchAsync_RecordsEnumerated_MoveThePositionAndCommitStoresTheNextOffset()
    {
        Partition p = await Partition();
        await Append(p, 0, 10);
        await using IConsumer<string, string> consumer = Create(new ConsumerOptions { GroupId = "g", EnableAutoCommit = false });
        consumer.Assign([new TopicPartitionOffset(p.Id, 0)]);

        using (ConsumedBatch batch = (await consumer.ConsumeBatchAsync(TimeSpan.Zero))!.Value)
        {
            Assert.That(consumer.Position(p.Id), Is.EqualTo(0), "nothing enumerated yet");
            Assert.That(Read(batch, max: 3).Select(r => r.Offset), Is.EqualTo(new long[] { 0, 1, 2 }));
            Assert.That(consumer.Position(p.Id), Is.EqualTo(3));
            consumer.Commit();
        }
        Assert.That(consumer.Committed(p.Id), Is.EqualTo(3));

        // The records not enumerated come next.
        (List<Lent> rest, _) = await LendAll(consumer);
        Assert.That(rest.Select(r => r.Offset), Is.EqualTo(Enumerable.Range(3, 7).Select(i => (long)i)));
        Assert.That(rest.Select(r => r.Value), Is.EqualTo(Enumerable.Range(3, 7).Select(i => $"v{i}")));
        Assert.That(consumer.Position(p.Id), Is.EqualTo(10));
        Assert.That(consumer.Committed(p.Id), Is.EqualTo(3), "no auto-commit");
    }

    [Test]
    public async Task ConsumeBatchAsync_AutoCommitOnClose_StoresTheOffsetAfterTheLastRecordEnumerated()
    {
        Partition p = await Partition();
        await Append(p, 0, 10);
        IConsumer<string, string> consumer = Create(new ConsumerOptions { GroupId = "g", AutoOffsetReset = AutoOffsetReset.Earliest });
        consumer.Subscribe(["t"]);
        ConsumedBatch batch = (await consumer.ConsumeBatchAsync(TimeSpan.Zero))!.Value;
        Assert.That(Read(batch, max: 4), Has.Count.EqualTo(4));

        consumer.Close();

        Assert.That(batch.IsDisposed, Is.True, "closing ends the batch");
        Assert.Throws<ObjectDisposedException>(() => batch.GetEnumerator());
        await using IConsumer<string, string> again = Create(new ConsumerOptions { GroupId = "g" });
        Assert.That(again.Committed(p.Id), Is.EqualTo(4));
    }

    [Test]
    public async Task ConsumedBatch_AfterDisposeOrTheNextCall_ThrowsObjectDisposed()
    {
        Partition p = await Partition();
        await Append(p, 0, 5, CompressionType.Zstd);
        await Append(p, 5, 5, CompressionType.Zstd);
        await using IConsumer<string, string> consumer = Create(new ConsumerOptions { MaxPollRecords = 2 });
        consumer.Assign([new TopicPartitionOffset(p.Id, 0)]);

        // Every call below completes at once (the records are buffered): synchronous, so enumerators can live across them.
        EndedBatchesAreUnusable(consumer, p.Id);
    }

    private static ConsumedBatch Next(IConsumer<string, string> consumer) =>
        consumer.ConsumeBatchAsync(TimeSpan.Zero).AsTask().GetAwaiter().GetResult()!.Value;

    private static void EndedBatchesAreUnusable(IConsumer<string, string> consumer, TopicPartition tp)
    {
        // Disposed: the batch, its enumerator and a record kept from it are all unusable.
        ConsumedBatch first = Next(consumer);
        ConsumedBatch.Enumerator records = first.GetEnumerator();
        Assert.That(records.MoveNext(), Is.True);
        ConsumedRecord kept = records.Current;
        Assert.That(Encoding.UTF8.GetString(kept.Value), Is.EqualTo("v0"));
        first.Dispose();
        Assert.That(first.IsDisposed, Is.True);
        Assert.That(kept.Offset, Is.EqualTo(0), "plain values stay");
        Assert.That(ThrowsDisposed(kept, r => r.Value.Length), Is.True);
        Assert.That(ThrowsDisposed(kept, r => r.Key.Length), Is.True);
        Assert.That(ThrowsDisposed(kept, r => r.Headers.MoveNext() ? 1 : 0), Is.True);
        Assert.That(ThrowsDisposed(kept, r => r.TopicPartition.Partition), Is.True);
        Assert.Throws<ObjectDisposedException>(() => _ = first.TopicPartition);
        Assert.Throws<ObjectDisposedException>(() => first.GetEnumerator());
        Assert.That(MoveNextThrowsDisposed(records), Is.True);
        first.Dispose(); // twice: nothing

        // Not disposed, but the consumer was called again: the old batch is unusable, the new one works.
        ConsumedBatch second = Next(consumer);
        ConsumedBatch.Enumerator secondRecords = second.GetEnumerator();
        Assert.That(secondRecords.MoveNext(), Is.True);
        Assert.That(secondRecords.Current.Offset, Is.EqualTo(1), "the record not enumerated from the first batch");
        ConsumedRecord keptFromSecond = secondRecords.Current;
        ConsumedBatch third = Next(consumer);
        Assert.That(second.IsDisposed, Is.True);
        Assert.That(MoveNextThrowsDisposed(secondRecords), Is.True);
        Assert.That(ThrowsDisposed(keptFromSecond, r => r.Value.Length), Is.True);
        Assert.That(third.IsDisposed, Is.False);

        // A seek drops the fetch the batch lends from.
        ConsumedBatch.Enumerator thirdRecords = third.GetEnumerator();
        Assert.That(thirdRecords.MoveNext(), Is.True);
        consumer.Seek(new TopicPartitionOffset(tp, 7));
        Assert.That(third.IsDisposed, Is.True);
        Assert.That(MoveNextThrowsDisposed(thirdRecords), Is.True);
        Assert.That(Read(Next(consumer)).Select(r => r.Offset), Is.EqualTo(new long[] { 7, 8 }));
        Assert.Throws<ObjectDisposedException>(() => default(ConsumedBatch).GetEnumerator());
    }

    [Test]
    public async Task ConsumedBatch_ConsumerClosedWithABatchOut_LeavesItsBuffersToTheGarbageCollector()
    {
        Topic topic = await _broker.CreateTopicAsync("t");
        Topic other = await _broker.CreateTopicAsync("u");
        await AppendTagged(topic.Partitions[0], "t", 0, 50);
        await AppendTagged(other.Partitions[0], "u", 0, 50);
        IConsumer<string, string> consumer = Create();
        consumer.Assign([new TopicPartitionOffset(topic.Partitions[0].Id, 0)]);
        await using IConsumer<string, string> reader = Create();
        reader.Assign([new TopicPartitionOffset(other.Partitions[0].Id, 0)]);

        Assert.That(ReadAfterClose(consumer, reader), Is.EqualTo("t-0"));
    }

    /// <summary>Keeps a span of a lent value, closes its consumer (as another thread might), lets another consumer read
    /// other bytes of the same sizes (reusing pooled buffers), and returns what the span holds then.</summary>
    private static string ReadAfterClose(IConsumer<string, string> consumer, IConsumer<string, string> reader)
    {
        ConsumedBatch batch = Next(consumer);
        ConsumedBatch.Enumerator records = batch.GetEnumerator();
        Assert.That(records.MoveNext(), Is.True);
        ReadOnlySpan<byte> value = records.Current.Value;
        consumer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Assert.That(batch.IsDisposed, Is.True);
        Assert.That(Read(Next(reader)), Has.Count.EqualTo(50));
        return Encoding.UTF8.GetString(value);
    }

    private delegate int RecordAccess(ConsumedRecord record);

    private static bool ThrowsDisposed(ConsumedRecord record, RecordAccess access)
    {
        try
        {
            access(record);
            return false;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }

    private static bool MoveNextThrowsDisposed(ConsumedBatch.Enumerator records)
    {
        try
        {
            records.MoveNext();
            return false;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }

    [Test]
    public async Task ConsumeBatchAsync_NothingWithinTheTimeout_ReturnsNull()
    {
        Partition p = await Partition();
        await using IConsumer<string, string> consumer = Create();
        consumer.Assign([new TopicPartitionOffset(p.Id, 0)]);

        Assert.That(await consumer.ConsumeBatchAsync(TimeSpan.Zero), Is.Null);

        await Append(p, 0, 3);
        Assert.That((await LendAll(consumer)).Records, Has.Count.EqualTo(3));
        Assert.That(await consumer.ConsumeBatchAsync(TimeSpan.Zero), Is.Null, "everything was lent");

        // A timeout that elapses (on the fake clock) with nothing produced.
        ValueTask<ConsumedBatch?> waiting = consumer.ConsumeBatchAsync(TimeSpan.FromSeconds(1));
        for (int i = 0; i < 100 && !waiting.IsCompleted; i++)
        {
            Time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(10);
        }
        Assert.That(await waiting, Is.Null);
    }

    [Test]
    public async Task ConsumeBatchAsync_CorruptBatchOnDisk_ThrowsAndLendsNothingUntilSoughtPast()
    {
        Partition p = await Partition();
        await Append(p, 0, 5);
        await Append(p, 5, 5);
        await p.FlushAsync();
        CorruptFirstBatchOfFive(p);
        await using IConsumer<string, string> consumer = Create();
        consumer.Assign([new TopicPartitionOffset(p.Id, 0)]);

        Assert.That(async () => await consumer.ConsumeBatchAsync(TimeSpan.Zero), Throws.InstanceOf<CorruptRecordException>());
        Assert.That(async () => await consumer.ConsumeBatchAsync(TimeSpan.Zero), Throws.InstanceOf<CorruptRecordException>());
        Assert.That(consumer.Position(p.Id), Is.EqualTo(0));
        consumer.Seek(new TopicPartitionOffset(p.Id, 5));
        Assert.That((await LendAll(consumer)).Records.Select(r => r.Offset), Is.EqualTo(new long[] { 5, 6, 7, 8, 9 }));
    }

    [Test]
    public async Task ConsumeBatchAsync_MemberJoinsMidBatch_TheBatchEndsAndNoRevokedRecordIsLentAfter()
    {
        Topic topic = await _broker.CreateTopicAsync("t", new TopicConfig { Partitions = 2 });
        foreach (Partition partition in topic.Partitions)
            await Append(partition, partition.Id.Partition * 100, 20);
        await using IConsumer<string, string> first = Create(new ConsumerOptions { GroupId = "g", AutoOffsetReset = AutoOffsetReset.Earliest });
        await using IConsumer<string, string> second = Create(new ConsumerOptions { GroupId = "g", AutoOffsetReset = AutoOffsetReset.Earliest });
        // The first member's partitions as its events tell, and whether each record it lent was of one of them then.
        var owned = new HashSet<TopicPartition>();
        int revocations = 0;
        first.PartitionsAssigned += assigned => owned.UnionWith(assigned);
        first.PartitionsRevoked += revoked =>
        {
            revocations++;
            owned.ExceptWith(revoked);
        };
        var lentByFirst = new List<Lent>();
        var ownedWhenLent = new List<bool>();
        first.Subscribe(["t"]);

        ConsumedBatch batch = (await first.ConsumeBatchAsync(TimeSpan.Zero))!.Value;
        Assert.That(first.Assignment, Has.Count.EqualTo(2));
        ConsumedBatch.Enumerator records = batch.GetEnumerator();
        for (int i = 0; i < 5; i++)
        {
            Assert.That(records.MoveNext(), Is.True);
            lentByFirst.Add(new Lent(records.Current.TopicPartition, records.Current.Offset, null, Encoding.UTF8.GetString(records.Current.Value), 0, ""));
            ownedWhenLent.Add(owned.Contains(records.Current.TopicPartition));
        }
        second.Subscribe(["t"]);
        Assert.That(records.MoveNext(), Is.False, "the batch ends when the group has work for its consumer");
        Assert.That(first.Assignment, Has.Count.EqualTo(2), "nothing is revoked while the batch is out");
        batch.Dispose();

        var lentBySecond = new List<Lent>();
        ConsumerGroup group = GroupCoordinator.For(_broker).GetGroup("g");
        for (int round = 0; ; round++)
        {
            Assert.That(round, Is.LessThan(100), "the group settles");
            int before = lentByFirst.Count + lentBySecond.Count;
            lentByFirst.AddRange((await LendAll(first, lent => ownedWhenLent.AddRange(lent.Select(r => owned.Contains(r.Partition))))).Records);
            lentBySecond.AddRange((await LendAll(second)).Records);
            if (lentByFirst.Count + lentBySecond.Count == before && IsSettled(group) && AllMatchTargets(group, [first, second]))
                break;
        }

        Assert.That(revocations, Is.GreaterThan(0), "the first member gave partitions up");
        Assert.That(ownedWhenLent, Is.All.True, "the first member lent records only of partitions it owned");
        Assert.That(first.Assignment.Concat(second.Assignment), Is.EquivalentTo(topic.Partitions.Select(x => x.Id)));
        // Positions moved record by record and were committed at the hand-over: every record exactly once.
        Assert.That(lentByFirst.Concat(lentBySecond).Select(r => r.Value).Order(),
            Is.EqualTo(Enumerable.Range(0, 20).Concat(Enumerable.Range(100, 20)).Select(i => $"v{i}").Order()));
    }

    // Uncompressed: a compressed record batch costs its decompression buffer's object (its array is pooled) on any read
    // path, once per record batch rather than per record.
    [Test]
    public async Task ConsumedBatch_Enumerating_AllocatesNothing()
    {
        Partition p = await Partition();
        for (int first = 0; first < 2000; first += 100)
            await Append(p, first, 100);
        await using IConsumer<string, string> consumer = Create(new ConsumerOptions { MaxPollRecords = 1000 });
        consumer.Assign([new TopicPartitionOffset(p.Id, 0)]);
        long warm = Sum((await consumer.ConsumeBatchAsync(TimeSpan.Zero))!.Value);
        ConsumedBatch batch = (await consumer.ConsumeBatchAsync(TimeSpan.Zero))!.Value;

        long before = GC.GetAllocatedBytesForCurrentThread();
        long sum = Sum(batch);
        batch.Dispose();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(warm + sum, Is.EqualTo(Enumerable.Range(0, 2000).Sum(i => $"v{i}".Length)));
        Assert.That(allocated, Is.Zero);
    }

    private static long Sum(ConsumedBatch batch)
    {
        long sum = 0;
        foreach (ConsumedRecord record in batch)
            sum += record.Value.Length;
        return sum;
    }
}
