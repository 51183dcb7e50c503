using LogStore.Storage.Replication;

namespace LogStore.Tests.Clients.Producer;

/// <summary>
/// The in-process producer on a leader with a follower: an <see cref="Acks.All"/> delivery completes once the high
/// watermark passes its batch, fails with <see cref="NotEnoughReplicasException"/> before anything is appended when the
/// ISR is short, and with <see cref="ReplicationTimeoutException"/> after <see cref="ProducerOptions.RequestTimeout"/>;
/// <see cref="Acks.Leader"/> does not wait.
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
