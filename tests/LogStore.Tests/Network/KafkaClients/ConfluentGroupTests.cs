using System.Collections.Concurrent;
using System.Net;
using LogStore.Tests.TestSupport;
using Kafka = Confluent.Kafka;

namespace LogStore.Tests.Network.KafkaClients;

/// <summary>
/// A consumer group of Confluent.Kafka consumers (librdkafka's classic protocol) through the listener: the members
/// split the partitions, one leaving hands its partitions to the others, commits land in the store's
/// <c>__consumer_offsets</c>, and after the broker is disposed and reopened the group resumes where it committed.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ConfluentGroupTests : BrokerFixture
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private ValueTask<Broker> Open() => Broker.OpenAsync(new BrokerOptions
    {
        DataDirectory = Dir.Path,
        KafkaListener = new KafkaListenerOptions { Endpoint = new IPEndPoint(IPAddress.Loopback, 0) },
    });

    private static Kafka.IConsumer<string, string> Member(Broker broker) =>
        new Kafka.ConsumerBuilder<string, string>(new Kafka.ConsumerConfig
        {
            BootstrapServers = broker.KafkaEndpoint!.ToString(),
            GroupId = "billing",
            AutoOffsetReset = Kafka.AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            SessionTimeoutMs = 6000,
            HeartbeatIntervalMs = 500,
        }).Build();

    private static async Task Produce(Broker broker, int from, int count)
    {
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>();
        for (int i = from; i < from + count; i++)
            producer.Produce("orders", new Message<string, string> { Key = $"k{i}", Value = $"v{i}" });
        await producer.FlushAsync();
    }

    /// <summary>Polls on its own thread (a Confluent consumer is single-threaded), committing each record, until
    /// stopped; <paramref name="assigned"/> holds its current assignment after each poll.</summary>
    private static Task RunMember(Kafka.IConsumer<string, string> consumer, ConcurrentDictionary<string, int> seen,
        Assignment assigned, CancellationToken stop) =>
        Task.Factory.StartNew(() =>
        {
            consumer.Subscribe("orders");
            while (!stop.IsCancellationRequested)
            {
                Kafka.ConsumeResult<string, string>? result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                assigned.Value = [.. consumer.Assignment.Select(tp => tp.Partition.Value)];
                if (result?.Message is null)
                    continue;
                seen.AddOrUpdate(result.Message.Value, 1, (_, n) => n + 1);
                consumer.Commit(result);
            }
            consumer.Close();
        }, TaskCreationOptions.LongRunning);

    [Test]
    public async Task ThreeMembers_SplitRebalanceCommit_AndResumeAfterReopen()
    {
        using var deadline = new CancellationTokenSource(Timeout);
        await using (Broker broker = await Open())
        {
            await broker.CreateTopicAsync("orders", new TopicConfig { Partitions = 6 });
            await Produce(broker, 0, 600);
            var seen = new ConcurrentDictionary<string, int>();
            using var stopFirst = new CancellationTokenSource();
            using var stopRest = new CancellationTokenSource();
            using Kafka.IConsumer<string, string> a = Member(broker), b = Member(broker), c = Member(broker);
            Assignment ofA = new(), ofB = new(), ofC = new();
            Task first = RunMember(a, seen, ofA, stopFirst.Token);
            Task second = RunMember(b, seen, ofB, stopRest.Token);
            Task third = RunMember(c, seen, ofC, stopRest.Token);

            // The three split the six partitions, and every record is read.
            await WaitUntil(() => ofA.Value.Length > 0 && ofB.Value.Length > 0 && ofC.Value.Length > 0
                && ofA.Value.Concat(ofB.Value).Concat(ofC.Value).Order().SequenceEqual(Enumerable.Range(0, 6)),
                deadline.Token, () => $"assignments [{string.Join(',', ofA.Value)}] [{string.Join(',', ofB.Value)}] [{string.Join(',', ofC.Value)}]");
            await WaitUntil(() => seen.Count == 600, deadline.Token, () => $"{seen.Count} of 600 records read");
            await stopFirst.CancelAsync();
            await first.WaitAsync(deadline.Token);

            // The two that stay take over the partitions of the one that left, and read what arrives there.
            await WaitUntil(() => ofB.Value.Concat(ofC.Value).Order().SequenceEqual(Enumerable.Range(0, 6)), deadline.Token,
                () => $"assignments after a member left [{string.Join(',', ofB.Value)}] [{string.Join(',', ofC.Value)}]");
            await Produce(broker, 600, 60);
            await WaitUntil(() => seen.Count == 660, deadline.Token, () => $"{seen.Count} of 660 records read after a member left");
            await WaitUntil(() => broker.DescribeConsumerGroup("billing").Partitions.Sum(p => p.Lag ?? -1) == 0, deadline.Token,
                () => "every partition committed to its end");
            await stopRest.CancelAsync();
            await Task.WhenAll(second, third).WaitAsync(deadline.Token);
        }

        // Reopened (a new listener port): a member of the group resumes after the committed offsets.
        await using Broker reopened = await Open();
        await Produce(reopened, 660, 30);
        var resumed = new ConcurrentDictionary<string, int>();
        using var stop = new CancellationTokenSource();
        using Kafka.IConsumer<string, string> d = Member(reopened);
        Task member = RunMember(d, resumed, new Assignment(), stop.Token);
        await WaitUntil(() => resumed.Count == 30, deadline.Token, () => $"{resumed.Count} of 30 new records read after the reopen");
        await stop.CancelAsync();
        await member.WaitAsync(deadline.Token);
        Assert.That(resumed.Keys.Order(), Is.EqualTo(Enumerable.Range(660, 30).Select(i => $"v{i}").Order()), "nothing read twice");
    }

    private static async Task WaitUntil(Func<bool> done, CancellationToken cancellationToken, Func<string> progress)
    {
        // Bounded: the deadline's token ends it; each round waits on the clock, not on ordering.
        while (!done())
        {
            if (cancellationToken.IsCancellationRequested)
                Assert.Fail("Timed out: " + progress());
            await Task.Delay(50, CancellationToken.None);
        }
    }

    /// <summary>A member's latest assignment, written by its polling thread.</summary>
    private sealed class Assignment
    {
        private int[] _value = [];

        public int[] Value
        {
            get => Volatile.Read(ref _value);
            set => Volatile.Write(ref _value, value);
        }
    }
}
