using LogStore.Storage.Replication;

namespace LogStore.Tests.Clients.Producer;

/// <summary>
/// The in-process producer on a leader with a follower: an <see cref="Acks.All"/> delivery completes once the high
/// watermark passes its batch, fails with <see cref="NotEnoughReplicasException"/> before anything is appended when the
/// ISR is short, and with <see cref="ReplicationTimeoutException"/> after <see cref="ProducerOptions.RequestTimeout"/>;
/// <see cref="Acks.Leader"/> does not wait. Rounds go on while earlier ones wait, and deliver in order.
/// </summary>
[TestFixture]
public sealed class ProducerReplicationTests : ProducerFixture
{
    private const int MaxPolls = 20_000;

    private static async Task<PartitionReplica> LeaderAsync(Broker broker, int[] isr, int minInSyncReplicas = 1)
    {
        PartitionReplica replica = (await broker.CreateTopicAsync("t", new TopicConfig())).Partitions[0].Replica;
        replica.Log.Config = new TopicConfig { ReplicationFactor = 2, MinInSyncReplicas = minInSyncReplicas };
        replica.UseController(null, TimeSpan.FromSeconds(30));
        replica.BecomeLeader(1, 1, [1, 2], isr, localNodeId: 1);
        return replica;
    }

    /// <summary>Waits (bounded) until the sender has appended up to <paramref name="logEnd"/>; the sender runs on its own task.</summary>
    private static async Task UntilAppendedAsync(PartitionReplica replica, long logEnd)
    {
        for (int poll = 0; replica.LogEndOffset < logEnd; poll++)
        {
            Assert.That(poll, Is.LessThan(MaxPolls), $"the sender never appended up to {logEnd}");
            await Task.Delay(1);
        }
    }

    /// <summary>Waits (bounded) until <paramref name="writes"/> acks=all writes wait for the high watermark: the sender
    /// registers each wait on its own task after the append.</summary>
    private static async Task UntilWaitingAsync(PartitionReplica replica, int writes)
    {
        for (int poll = 0; replica.WaitingWrites < writes; poll++)
        {
            Assert.That(poll, Is.LessThan(MaxPolls), $"never {writes} writes waiting for the high watermark");
            await Task.Delay(1);
        }
    }

    /// <summary>Moves the clock by <paramref name="by"/> in 50 ms steps, letting the sender's task run between them.</summary>
    private async Task AdvanceInStepsAsync(TimeSpan by)
    {
        for (TimeSpan moved = TimeSpan.Zero; moved < by; moved += TimeSpan.FromMilliseconds(50))
        {
            Time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(1);
        }
    }

    /// <summary>The follower holds the whole log: whatever still waits completes, so a failed test's producer closes.</summary>
    private void CatchUp(PartitionReplica leader) => leader.UpdateFollowerFetchState(2, leader.LogEndOffset, 0, Time.GetUtcNow());

    private static Message<string, string> Value(string value) => new() { Value = value };

    [Test]
    public async Task AcksAll_CompletesOnceTheFollowerHoldsTheBatch()
    {
        await using Broker broker = await Open();
        PartitionReplica leader = await LeaderAsync(broker, [1, 2]);
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions { Linger = TimeSpan.Zero });

        ValueTask<DeliveryResult> delivery = producer.ProduceAsync("t", Value("a"));
        await UntilAppendedAsync(leader, 1);
        Assert.That(delivery.IsCompleted, Is.False, "appended, not replicated");

        leader.UpdateFollowerFetchState(2, 1, 0, Time.GetUtcNow());

        DeliveryResult result = await delivery.AsTask().WaitAsync(Guard);
        Assert.That(result.Offset, Is.EqualTo(0));
    }

    [Test]
    public async Task AcksAll_AppendsTheNextRounds_WhileTheFirstWaitsForTheFollower_AndDeliversInOrder()
    {
        await using Broker broker = await Open();
        PartitionReplica leader = await LeaderAsync(broker, [1, 2]);
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions { Linger = TimeSpan.Zero });

        try
        {
            Task<DeliveryResult> first = producer.ProduceAsync("t", Value("a")).AsTask();
            await UntilWaitingAsync(leader, writes: 1);
            Task<DeliveryResult> second = producer.ProduceAsync("t", Value("b")).AsTask();
            await UntilWaitingAsync(leader, writes: 2);
            Assert.That((first.IsCompleted, second.IsCompleted), Is.EqualTo((false, false)), "appended, not replicated");

            leader.UpdateFollowerFetchState(2, 1, 0, Time.GetUtcNow());
            Assert.That((await first.WaitAsync(Guard)).Offset, Is.EqualTo(0));
            Assert.That(second.IsCompleted, Is.False, "the follower holds only the first round");

            leader.UpdateFollowerFetchState(2, 2, 0, Time.GetUtcNow());
            Assert.That((await second.WaitAsync(Guard)).Offset, Is.EqualTo(1));
        }
        finally
        {
            CatchUp(leader);
        }
    }

    [Test]
    public async Task AcksAll_ARoundThatTimesOut_Fails_AndTheRoundAppendedAfterItIsDeliveredOnceReplicated()
    {
        await using Broker broker = await Open();
        PartitionReplica leader = await LeaderAsync(broker, [1, 2]);
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions
        {
            Linger = TimeSpan.Zero,
            RequestTimeout = TimeSpan.FromSeconds(5),
        });

        try
        {
            // The sender arms each wait's timer just after registering it, on its own task: the clock moves in small
            // steps, so each timer starts within a step of its registration (first due near 5 s, second near 8 s).
            Task<DeliveryResult> first = producer.ProduceAsync("t", Value("a")).AsTask();
            await UntilWaitingAsync(leader, writes: 1);
            await AdvanceInStepsAsync(TimeSpan.FromSeconds(3));
            Task<DeliveryResult> second = producer.ProduceAsync("t", Value("b")).AsTask();
            await UntilWaitingAsync(leader, writes: 2);
            await AdvanceInStepsAsync(TimeSpan.FromSeconds(2.5));
            Assert.That(leader.WaitingWrites, Is.EqualTo(1), "the first round's wait timed out");
            Assert.That(first.IsCompleted, Is.False, "rounds complete in order, after the ones in flight behind a failure settle");

            leader.UpdateFollowerFetchState(2, 2, 0, Time.GetUtcNow());

            var e = Assert.ThrowsAsync<ReplicationTimeoutException>(async () => await first.WaitAsync(Guard))!;
            Assert.That(e.RequiredOffset, Is.EqualTo(1));
            Assert.That((await second.WaitAsync(Guard)).Offset, Is.EqualTo(1));
        }
        finally
        {
            CatchUp(leader);
        }
    }

    [Test]
    public async Task AcksAll_BelowMinIsr_FailsWithNotEnoughReplicas_AndAppendsNothing()
    {
        await using Broker broker = await Open();
        PartitionReplica leader = await LeaderAsync(broker, [1], minInSyncReplicas: 2);
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions { Linger = TimeSpan.Zero });

        var e = Assert.ThrowsAsync<NotEnoughReplicasException>(async () => await producer.ProduceAsync("t", Value("a")).AsTask().WaitAsync(Guard))!;

        Assert.That((e.InSyncReplicas, e.MinInSyncReplicas), Is.EqualTo((1, 2)));
        Assert.That(leader.LogEndOffset, Is.Zero);
    }

    [Test]
    public async Task AcksAll_NotReplicatedWithinTheRequestTimeout_FailsWithReplicationTimeout()
    {
        await using Broker broker = await Open();
        PartitionReplica leader = await LeaderAsync(broker, [1, 2]);
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions
        {
            Linger = TimeSpan.Zero,
            RequestTimeout = TimeSpan.FromSeconds(5),
        });

        Task<DeliveryResult> delivery = producer.ProduceAsync("t", Value("a")).AsTask();
        await UntilAppendedAsync(leader, 1);
        // The sender registers its wait after the append, on its own task: the clock moves until the wait has timed out.
        for (int poll = 0; !delivery.IsCompleted; poll++)
        {
            Assert.That(poll, Is.LessThan(MaxPolls), "the delivery never timed out");
            Time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(1);
        }

        var e = Assert.ThrowsAsync<ReplicationTimeoutException>(async () => await delivery)!;
        Assert.That(e.RequiredOffset, Is.EqualTo(1));
    }

    [Test]
    public async Task AcksLeader_DoesNotWaitForTheFollower()
    {
        await using Broker broker = await Open();
        await LeaderAsync(broker, [1, 2]);
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions { Linger = TimeSpan.Zero, Acks = Acks.Leader });

        DeliveryResult result = await producer.ProduceAsync("t", Value("a")).AsTask().WaitAsync(Guard);

        Assert.That(result.Offset, Is.EqualTo(0));
    }
}
