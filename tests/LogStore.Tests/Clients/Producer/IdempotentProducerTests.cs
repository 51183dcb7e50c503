using System.Text;
using LogStore.Network.Apis;
using LogStore.Protocol;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Clients.Producer;

/// <summary>
/// <see cref="ProducerOptions.EnableIdempotence"/> (on by default): every batch carries the producer's id and epoch and
/// its partition's next sequence, read back from the batch headers; a batch appended again is not appended twice; a batch
/// the log refuses leaves no gap in the sequences; a sequence or epoch the partition refuses fails that batch with the
/// typed exception and the producer continues under a new epoch or id.
/// </summary>
[TestFixture]
public sealed class IdempotentProducerTests : ProducerFixture
{
    private sealed record BatchHeader(long ProducerId, short Epoch, int BaseSequence, int RecordCount, long BaseOffset, byte[] Bytes);

    private static async Task<List<BatchHeader>> Headers(Partition partition)
    {
        var headers = new List<BatchHeader>();
        long next = partition.LogStartOffset;
        while (next < partition.LogEndOffset)
        {
            using FetchResult fetch = await partition.ReadAsync(next, 1 << 20);
            Assert.That(fetch.IsEmpty, Is.False);
            foreach (RecordBatch batch in fetch)
            {
                Assert.That(batch.IsValid, Is.True, "the CRC covers the stamped header");
                headers.Add(new BatchHeader(batch.ProducerId, batch.ProducerEpoch, batch.BaseSequence, batch.RecordCount, batch.BaseOffset, batch.Memory.ToArray()));
                next = batch.NextOffset;
            }
        }
        return headers;
    }

    /// <summary>A batch as another writer with the producer's id would append it.</summary>
    private static RecordBatch Forged(long producerId, short epoch, int baseSequence, int count)
    {
        using var builder = new RecordBatchBuilder { ProducerId = producerId, ProducerEpoch = epoch, BaseSequence = baseSequence };
        for (int i = 0; i < count; i++)
            builder.Append(Batches.BaseTime, Encoding.UTF8.GetBytes("forged"), Encoding.UTF8.GetBytes($"f{i}"));
        return RecordBatch.Parse(builder.Build().Memory.ToArray());
    }

    private static async Task<DeliveryResult> Produce(IProducer<string, string> producer, int partition, string value)
    {
        ValueTask<DeliveryResult> delivery = producer.ProduceAsync(new TopicPartition("t", partition), new Message<string, string> { Value = value });
        await producer.FlushAsync();
        return await delivery;
    }

    [Test]
    public async Task Produce_ByDefault_StampsTheProducerIdEpochAndEachPartitionsSequences()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t", new TopicConfig { Partitions = 2 });
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions { BatchSize = 200 });
        for (int i = 0; i < 60; i++)
            producer.Produce(new TopicPartition("t", i % 2), new Message<string, string> { Value = $"value-{i:D4}" });
        await producer.FlushAsync();

        foreach (Partition partition in topic.Partitions)
        {
            List<BatchHeader> batches = await Headers(partition);
            Assert.That(batches, Has.Count.GreaterThan(1), "small batches, so that sequences run across several");
            Assert.That(batches.Select(b => (b.ProducerId, b.Epoch)).Distinct(), Is.EqualTo(new[] { (batches[0].ProducerId, (short)0) }));
            Assert.That(batches[0].ProducerId, Is.GreaterThanOrEqualTo(0));
            int expected = 0;
            foreach (BatchHeader batch in batches)
            {
                Assert.That(batch.BaseSequence, Is.EqualTo(expected), $"{partition.Id} at offset {batch.BaseOffset}");
                expected += batch.RecordCount;
            }
            Assert.That(expected, Is.EqualTo(30));
        }
    }

    [Test]
    public async Task Produce_IdempotenceDisabled_StampsNoProducerId()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t");
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions { EnableIdempotence = false });

        await Produce(producer, 0, "v");

        BatchHeader batch = (await Headers(topic.Partitions[0])).Single();
        Assert.That((batch.ProducerId, batch.Epoch, batch.BaseSequence), Is.EqualTo((-1L, (short)-1, -1)));
    }

    [Test]
    public async Task ProducerIds_AreUniqueAcrossProducersAndInitProducerId()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t", new TopicConfig { Partitions = 2 });
        await using IProducer<string, string> first = broker.CreateProducer<string, string>();
        await using IProducer<string, string> second = broker.CreateProducer<string, string>();
        await Produce(first, 0, "a");
        await Produce(second, 1, "b");

        long fromNetwork = new InitProducerIdApi(broker).Handle(new InitProducerIdRequest()).ProducerId;

        long[] ids = [(await Headers(topic.Partitions[0])).Single().ProducerId, (await Headers(topic.Partitions[1])).Single().ProducerId, fromNetwork];
        Assert.That(ids, Is.Unique);
        Assert.That(ids, Is.All.GreaterThanOrEqualTo(0));
    }

    [Test]
    public async Task ProducerIds_AfterAReopenOnTheSameClock_AreNotHandedOutAgain()
    {
        // The fake clock does not move between the runs, as a clock set back would not: ids from the clock alone repeat,
        // and a repeated id's first batch would be taken for a retry of the old producer's and dropped.
        long firstRun;
        await using (Broker broker = await Open())
        {
            Partition partition = (await broker.CreateTopicAsync("t")).Partitions[0];
            await using IProducer<string, string> producer = broker.CreateProducer<string, string>();
            await Produce(producer, 0, "a");
            firstRun = (await Headers(partition)).Single().ProducerId;
        }
        await using Broker reopened = await Open();
        Partition again = reopened.Topics.Single().Partitions[0];
        await using IProducer<string, string> next = reopened.CreateProducer<string, string>();

        DeliveryResult result = await Produce(next, 0, "b");

        Assert.That(result.Offset, Is.EqualTo(1), "appended, not taken for a retry of the first run's batch");
        Assert.That((await Headers(again)).Last().ProducerId, Is.GreaterThan(firstRun));
    }

    [Test]
    public async Task AppendingAProducedBatchAgain_IsAnsweredWithItsOffsets_AndNotAppendedTwice()
    {
        await using Broker broker = await Open();
        Partition partition = (await broker.CreateTopicAsync("t")).Partitions[0];
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>();
        await Produce(producer, 0, "a");
        await Produce(producer, 0, "b");
        List<BatchHeader> batches = await Headers(partition);

        AppendResult again = await partition.AppendAsync(RecordBatch.Parse(batches[0].Bytes));

        Assert.That(again.BaseOffset, Is.EqualTo(batches[0].BaseOffset));
        Assert.That(partition.LogEndOffset, Is.EqualTo(2), "the duplicate sequence appended nothing");
        Assert.That((await Produce(producer, 0, "c")).Offset, Is.EqualTo(2), "the producer goes on after it");
    }

    [Test]
    public async Task ABatchTheLogRefuses_LeavesNoGapInTheSequences()
    {
        await using Broker broker = await Open();
        Partition partition = (await broker.CreateTopicAsync("t", new TopicConfig { MessageTimestampBeforeMax = TimeSpan.FromHours(1) })).Partitions[0];
        // A batch per record, all sealed by the flush (or as the next record comes) and appended in one round or more.
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions { BatchSize = 1, Linger = TimeSpan.FromHours(1) });
        var old = DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime) - TimeSpan.FromHours(2);
        ValueTask<DeliveryResult> a = producer.ProduceAsync("t", new Message<string, string> { Value = "a" });
        ValueTask<DeliveryResult> b = producer.ProduceAsync("t", new Message<string, string> { Value = "b", Timestamp = old });
        ValueTask<DeliveryResult> c = producer.ProduceAsync("t", new Message<string, string> { Value = "c" });
        await producer.FlushAsync();

        Assert.That((await a).Offset, Is.EqualTo(0));
        Assert.ThrowsAsync<InvalidTimestampException>(async () => await b);
        Assert.That((await c).Offset, Is.EqualTo(1), "not refused as out of order");
        Assert.That((await Headers(partition)).Select(h => h.BaseSequence), Is.EqualTo(new[] { 0, 1 }));
    }

    [Test]
    public async Task OutOfOrderSequence_FailsThatBatchTyped_AndTheProducerGoesOnUnderANewEpoch()
    {
        await using Broker broker = await Open();
        Partition partition = (await broker.CreateTopicAsync("t")).Partitions[0];
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>();
        await Produce(producer, 0, "a");
        long producerId = (await Headers(partition)).Single().ProducerId;
        // Another writer under the same id takes sequences 1-2: the producer's next batch, at 1, no longer follows.
        await partition.AppendAsync(Forged(producerId, 0, 1, 2));

        var refused = Assert.ThrowsAsync<OutOfOrderSequenceException>(async () => await Produce(producer, 0, "b"));
        DeliveryResult c = await Produce(producer, 0, "c");

        Assert.That(refused!.ProducerId, Is.EqualTo(producerId));
        BatchHeader last = (await Headers(partition)).Last();
        Assert.That((c.Offset, last.ProducerId, last.Epoch, last.BaseSequence), Is.EqualTo((3L, producerId, (short)1, 0)));
    }

    [Test]
    public async Task FencedEpoch_FailsThatBatchTyped_AndTheProducerGoesOnUnderANewId()
    {
        await using Broker broker = await Open();
        Partition partition = (await broker.CreateTopicAsync("t")).Partitions[0];
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>();
        await Produce(producer, 0, "a");
        long producerId = (await Headers(partition)).Single().ProducerId;
        await partition.AppendAsync(Forged(producerId, 3, 0, 1));

        Assert.ThrowsAsync<InvalidProducerEpochException>(async () => await Produce(producer, 0, "b"));
        DeliveryResult c = await Produce(producer, 0, "c");

        BatchHeader last = (await Headers(partition)).Last();
        Assert.That(c.Offset, Is.EqualTo(2));
        Assert.That(last.ProducerId, Is.Not.EqualTo(producerId));
        Assert.That((last.Epoch, last.BaseSequence), Is.EqualTo(((short)0, 0)));
    }
}
