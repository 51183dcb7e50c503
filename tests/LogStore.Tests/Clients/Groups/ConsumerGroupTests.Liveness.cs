using static LogStore.Tests.Clients.ConsumerTestSupport;

namespace LogStore.Tests.Clients.Groups;

public sealed partial class ConsumerGroupTests
{
    [Test]
    public async Task SessionTimeout_SilentMember_IsEvictedAndItsPartitionsGoToTheOthers()
    {
        Topic topic = await Topic(4);
        await Fill(topic, 0, 5);
        await using IConsumer<string, string> silent = Member("g", autoCommit: false);
        await using IConsumer<string, string> live = Member("g", autoCommit: false);
        await Pump(_broker, "g", silent, live);
        var silentPartitions = silent.Assignment.ToList();
        var lost = new List<TopicPartition>();
        silent.PartitionsRevoked += lost.AddRange;

        // Only `live` polls while the fake clock runs past the 10 s session timeout, one heartbeat at a time.
        for (int second = 0; second < 9; second++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await live.ConsumeAsync(TimeSpan.Zero);
        }
        Assert.That(Group("g").Snapshot().Targets, Has.Count.EqualTo(2), "not evicted before the session timeout");
        for (int second = 0; second < 3; second++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await live.ConsumeAsync(TimeSpan.Zero);
        }

        Assert.That(Group("g").Snapshot().Targets, Has.Count.EqualTo(1));
        Assert.That(live.Assignment, Has.Count.EqualTo(4));
        Assert.That(() => silent.Commit(), Throws.InstanceOf<CommitFailedException>().With.Message.Contains("evicted"),
            "a member kicked out commits nothing stale");

        // Its next poll reports the loss and rejoins; the group then shares the topic again.
        await Pump(_broker, "g", silent, live);
        Assert.That(lost, Is.EquivalentTo(silentPartitions));
        AssertPartitionsSharedExactlyOnce(topic, silent, live);
        Assert.That(silent.Assignment, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task SessionTimeout_MemberWaitingInsideConsumeAsync_IsAlive()
    {
        await Topic(2);
        await using IConsumer<string, string> waiting = Member("g");
        await Pump(_broker, "g", waiting);
        Task<ConsumeResult<string, string>?> consume = waiting.ConsumeAsync(TimeSpan.FromMinutes(1)).AsTask();

        for (int second = 0; second < 30; second++)
            _time.Advance(TimeSpan.FromSeconds(1));

        Assert.That(Group("g").Snapshot().Targets, Has.Count.EqualTo(1));
        Assert.That(consume.IsCompleted, Is.False);
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.That(await consume.WaitAsync(TimeSpan.FromSeconds(30)), Is.Null);
    }

    [Test]
    public async Task Unsubscribe_RevokesAndTheOthersTakeOver()
    {
        Topic topic = await Topic(4);
        await using IConsumer<string, string> a = Member("g");
        await using IConsumer<string, string> b = Member("g");
        await Pump(_broker, "g", a, b);
        var revoked = new List<TopicPartition>();
        a.PartitionsRevoked += revoked.AddRange;

        a.Unsubscribe();
        await Pump(_broker, "g", b);

        Assert.That(revoked, Has.Count.EqualTo(2));
        Assert.That(a.Assignment, Is.Empty);
        AssertPartitionsSharedExactlyOnce(topic, b);
    }

    [Test]
    public async Task SessionTimeout_EvictedMemberDisposing_CommitsNothingStale()
    {
        Topic topic = await Topic(2);
        await Fill(topic, 0, 5);
        IConsumer<string, string> silent = Member("g"); // auto-commit on
        await using IConsumer<string, string> live = Member("g");
        await Pump(_broker, "g", silent, live);
        TopicPartition silentPartition = silent.Assignment.Single();
        Assert.That(silent.Committed(silentPartition), Is.Null);

        for (int second = 0; second < 12; second++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await live.ConsumeAsync(TimeSpan.Zero);
        }
        Assert.That(live.Assignment, Has.Count.EqualTo(2));
        await silent.DisposeAsync(); // its auto-commit on leaving would store 5

        Assert.That(live.Committed(silentPartition), Is.Null, "the evicted member's commit was fenced");
        long position = live.Position(silentPartition);
        _time.Advance(TimeSpan.FromSeconds(5));
        await live.ConsumeAsync(TimeSpan.Zero);
        Assert.That(live.Committed(silentPartition), Is.EqualTo(position), "the new owner's auto-commit is stored");
    }
}
