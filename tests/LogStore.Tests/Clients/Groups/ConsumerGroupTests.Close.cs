using static LogStore.Tests.Clients.ConsumerTestSupport;

namespace LogStore.Tests.Clients.Groups;

public sealed partial class ConsumerGroupTests
{
    [Test]
    public async Task DisposeAsync_CommitInPartitionsRevoked_StoresTheCommit()
    {
        Topic topic = await Topic(1);
        await Fill(topic, 0, 5);
        IConsumer<string, string> consumer = Member("g", autoCommit: false);
        Exception? failure = null;
        consumer.PartitionsRevoked += _ =>
        {
            try
            {
                consumer.Commit();
            }
            catch (Exception e)
            {
                failure = e;
                throw;
            }
        };
        await Pump(_broker, "g", consumer);

        Assert.DoesNotThrowAsync(async () => await consumer.DisposeAsync());

        Assert.That(failure, Is.Null, "Commit inside the final PartitionsRevoked threw");
        await using IConsumer<string, string> next = Member("g", autoCommit: false);
        Assert.That(next.Committed(new TopicPartition("t", 0)), Is.EqualTo(5));
    }

    [Test]
    public async Task DisposeAsync_HandlerThrows_DoesNotThrowAndReleasesTheConsumer()
    {
        Topic topic = await Topic(1);
        await Fill(topic, 0, 5);
        IConsumer<string, string> consumer = Member("g", autoCommit: false);
        consumer.PartitionsRevoked += _ => throw new InvalidOperationException("handler");
        await Pump(_broker, "g", consumer);

        Assert.DoesNotThrowAsync(async () => await consumer.DisposeAsync());

        Assert.Throws<ObjectDisposedException>(() => consumer.Commit());
        Assert.That(Group("g").Snapshot().Targets, Is.Empty, "the member left the group");
    }

    [Test]
    public async Task Close_WithAutoCommit_CommitsLeavesTheGroupAndThrowsHandlerErrors()
    {
        Topic topic = await Topic(2);
        await Fill(topic, 0, 5);
        IConsumer<string, string> consumer = Member("g");
        var revoked = new List<TopicPartition>();
        consumer.PartitionsRevoked += list =>
        {
            revoked.AddRange(list);
            throw new InvalidOperationException("handler");
        };
        await Pump(_broker, "g", consumer);

        Assert.Throws<InvalidOperationException>(consumer.Close);

        Assert.That(revoked, Has.Count.EqualTo(2));
        Assert.That(Group("g").Snapshot().Targets, Is.Empty);
        Assert.Throws<ObjectDisposedException>(consumer.Close);
        Assert.DoesNotThrowAsync(async () => await consumer.DisposeAsync());
        await using IConsumer<string, string> next = Member("g");
        Assert.That(next.Committed(new TopicPartition("t", 0)), Is.EqualTo(5));
        Assert.That(next.Committed(new TopicPartition("t", 1)), Is.EqualTo(5));
    }
}
