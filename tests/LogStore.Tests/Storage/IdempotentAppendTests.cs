using System.Text;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Storage;

/// <summary>
/// Batches of an idempotent producer (a producer id and sequences, as Kafka clients send with enable.idempotence): a
/// retry of an appended batch is not appended twice, also after the broker reopens or when older than the batches the
/// producer state keeps; a gap in sequences and an old epoch
/// are refused with typed errors and append nothing.
/// </summary>
public sealed class IdempotentAppendTests : BrokerFixture
{
    private const long ProducerId = 4242;

    private static RecordBatch Batch(int baseSequence, int count, short epoch = 0)
    {
        using var builder = new RecordBatchBuilder { ProducerId = ProducerId, ProducerEpoch = epoch, BaseSequence = baseSequence };
        for (int i = 0; i < count; i++)
            builder.Append(Batches.BaseTime, Encoding.UTF8.GetBytes("k"), Encoding.UTF8.GetBytes($"seq{baseSequence + i}"));
        return RecordBatch.Parse(builder.Build().Memory.ToArray());
    }

    private ValueTask<Broker> Open() => Broker.OpenAsync(new BrokerOptions { DataDirectory = Dir.Path, TimeProvider = Time });

    [Test]
    public async Task ARetriedBatch_IsAnsweredWithItsFirstOffsets_AndNotAppendedAgain()
    {
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync("t")).Partitions[0];

        AppendResult first = await p.AppendAsync(Batch(0, 3));
        AppendResult second = await p.AppendAsync(Batch(3, 2));
        AppendResult retry = await p.AppendAsync(Batch(0, 3));

        Assert.That((first.BaseOffset, second.BaseOffset), Is.EqualTo((0L, 3L)));
        Assert.That((retry.BaseOffset, retry.LastOffset), Is.EqualTo((0L, 2L)));
        Assert.That(p.LogEndOffset, Is.EqualTo(5), "the retry appended nothing");
    }

    [Test]
    public async Task ARetry_AfterTheBrokerReopens_IsStillRecognised()
    {
        await using (Broker broker = await Open())
        {
            Partition p = (await broker.CreateTopicAsync("t")).Partitions[0];
            await p.AppendAsync(Batch(0, 3));
            await p.AppendAsync(Batch(3, 2));
        }
        await using Broker reopened = await Open();
        Partition again = reopened.Topics.Single().Partitions[0];

        AppendResult retry = await again.AppendAsync(Batch(3, 2));
        AppendResult next = await again.AppendAsync(Batch(5, 1));

        Assert.That(retry.BaseOffset, Is.EqualTo(3));
        Assert.That(next.BaseOffset, Is.EqualTo(5));
        Assert.That(again.LogEndOffset, Is.EqualTo(6));
    }

    [Test]
    public async Task AGapInSequences_AndAnOldEpoch_AreRefused()
    {
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync("t")).Partitions[0];
        await p.AppendAsync(Batch(0, 2, epoch: 1));

        OutOfOrderSequenceException? gap = Assert.ThrowsAsync<OutOfOrderSequenceException>(async () => await p.AppendAsync(Batch(5, 1, epoch: 1)));
        InvalidProducerEpochException? fenced = Assert.ThrowsAsync<InvalidProducerEpochException>(async () => await p.AppendAsync(Batch(2, 1, epoch: 0)));
        AppendResult newEpoch = await p.AppendAsync(Batch(0, 1, epoch: 2));

        Assert.That(gap!.ProducerId, Is.EqualTo(ProducerId));
        Assert.That(fenced!.Message, Does.Contain("fenced"));
        Assert.That(newEpoch.BaseOffset, Is.EqualTo(2), "nothing of the refused batches was appended");
    }
    [Test]
    public async Task ARetry_OlderThanTheFiveBatchesKept_IsFoundInTheLog_AndNotAppendedAgain()
    {
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync("t")).Partitions[0];
        var offsets = new List<AppendResult>();
        for (int i = 0; i < 12; i++)
        {
            offsets.Add(await p.AppendAsync(Batch(2 * i, 2)));
            // Another producer's records between this one's (a client without idempotence).
            using var other = new RecordBatchBuilder();
            other.Append(Batches.BaseTime, null, Encoding.UTF8.GetBytes($"other{i}"));
            await p.AppendAsync(RecordBatch.Parse(other.Build().Memory.ToArray()));
        }
        long end = p.LogEndOffset;

        // Batches 2 and 6 of 12: out of the state's last five, as a producer with more batches in flight than that
        // sends them again to a new leader.
        AppendResult retry = await p.AppendAsync(Batch(4, 2));
        AppendResult later = await p.AppendAsync(Batch(12, 2));
        // Sequences of the log that are not a batch this producer sent: refused, as they were before.
        Assert.ThrowsAsync<OutOfOrderSequenceException>(async () => await p.AppendAsync(Batch(5, 2)));

        Assert.That((retry.BaseOffset, retry.LastOffset), Is.EqualTo((offsets[2].BaseOffset, offsets[2].LastOffset)));
        Assert.That((later.BaseOffset, later.LastOffset), Is.EqualTo((offsets[6].BaseOffset, offsets[6].LastOffset)));
        Assert.That(p.LogEndOffset, Is.EqualTo(end), "a retry appended nothing");
    }
}
