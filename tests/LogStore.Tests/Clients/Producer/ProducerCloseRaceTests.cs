using System.Collections.Concurrent;

namespace LogStore.Tests.Clients.Producer;

/// <summary>
/// Disposing a producer while threads still call Produce: the closed check is made under each partition's lock rather
/// than with a per-record counter, so every call must still end one of two ways — refused with
/// ObjectDisposedException, or batched, appended and delivered — and nothing batched may be lost.
/// </summary>
[TestFixture]
public sealed class ProducerCloseRaceTests : ProducerFixture
{
    [Test]
    [Repeat(5)]
    public async Task DisposeWhileProducing_EveryCallIsRefusedOrDelivered_AndTheLogHoldsExactlyTheDelivered()
    {
        await using Broker broker = await Open(TimeProvider.System);
        Topic topic = await broker.CreateTopicAsync("t", new TopicConfig { Partitions = 3 });
        // A small pool makes some calls wait for memory while the close happens.
        IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions { BatchSize = 1024, BufferMemory = 8 * 1024 });
        var delivered = new ConcurrentBag<DeliveryReport>();
        int refused = 0;
        int attempted = 0;
        using var started = new CountdownEvent(3);

        Task[] producers = Enumerable.Range(0, 3).Select(t => Task.Run(() =>
        {
            started.Signal();
            for (int i = 0; ; i++)
            {
                Interlocked.Increment(ref attempted);
                try
                {
                    producer.Produce("t", new Message<string, string> { Key = $"{t}-{i}", Value = new string('x', 50) }, delivered.Add);
                }
                catch (ObjectDisposedException)
                {
                    Interlocked.Increment(ref refused);
                    return;
                }
            }
        })).ToArray();
        started.Wait(Guard);
        while (Volatile.Read(ref attempted) < 3_000)
            await Task.Yield();

        await producer.DisposeAsync();
        await Task.WhenAll(producers).WaitAsync(Guard);

        Assert.That(refused, Is.EqualTo(3), "each thread's last call was refused");
        Assert.That(delivered.Count, Is.EqualTo(attempted - refused), "every call not refused was delivered");
        Assert.That(delivered.Where(r => r.Error is not null), Is.Empty);
        long inLog = topic.Partitions.Sum(p => p.LogEndOffset);
        Assert.That(inLog, Is.EqualTo(delivered.Count), "the log holds exactly the delivered records");
        foreach (IGrouping<int, DeliveryReport> partition in delivered.GroupBy(r => r.TopicPartition.Partition))
            Assert.That(partition.Select(r => r.Offset).Order(), Is.EqualTo(Enumerable.Range(0, partition.Count()).Select(i => (long)i)));
    }
}
