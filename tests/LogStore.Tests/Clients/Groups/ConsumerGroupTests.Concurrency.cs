using System.Collections.Concurrent;
using static LogStore.Tests.Clients.ConsumerTestSupport;

namespace LogStore.Tests.Clients.Groups;

public sealed partial class ConsumerGroupTests
{
    private sealed record Running(IConsumer<string, string> Consumer, CancellationTokenSource Stop, Task Loop);

    [TestCase(PartitionAssignmentStrategy.Range)]
    [TestCase(PartitionAssignmentStrategy.CooperativeSticky)]
    public async Task ConcurrentMembers_JoiningAndLeavingWhileRecordsArrive_EveryRecordExactlyOnce(PartitionAssignmentStrategy strategy)
    {
        const int Rounds = 40, PerBatch = 10;
        Topic topic = await Topic(4);
        int expected = Rounds * PerBatch * topic.Partitions.Count;
        var counts = new ConcurrentDictionary<string, int>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        Running Start()
        {
            IConsumer<string, string> consumer = Member("g", strategy);
            var stop = new CancellationTokenSource();
            Task loop = Task.Run(async () =>
            {
                await foreach (ConsumeResult<string, string> result in consumer.ConsumeAllAsync(stop.Token))
                {
                    counts.AddOrUpdate(result.Message.Value, 1, (_, n) => n + 1);
                    if (counts.Count == expected)
                        done.TrySetResult();
                }
            });
            return new Running(consumer, stop, loop);
        }

        static async Task StopAsync(Running member)
        {
            await member.Stop.CancelAsync();
            try
            {
                await member.Loop.WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (OperationCanceledException)
            {
            }
            await member.Consumer.DisposeAsync();
        }

        var members = new List<Running> { Start(), Start() };
        for (int round = 0; round < Rounds; round++)
        {
            foreach (Partition p in topic.Partitions)
                await AppendTagged(p, $"p{p.Id.Partition}", round * PerBatch, PerBatch);
            if (round == Rounds / 3)
                members.Add(Start());
            if (round == 2 * Rounds / 3)
            {
                await StopAsync(members[0]); // leaves: commits its positions, then hands its partitions over
                members.RemoveAt(0);
            }
        }

        await done.Task.WaitAsync(TimeSpan.FromSeconds(60));
        foreach (Running member in members)
            await StopAsync(member);
        Assert.That(counts, Has.Count.EqualTo(expected));
        Assert.That(counts.Where(kv => kv.Value != 1).Select(kv => kv.Key), Is.Empty, "records delivered twice");
    }
}
