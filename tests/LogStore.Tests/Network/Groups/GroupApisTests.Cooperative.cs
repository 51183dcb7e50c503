using LogStore.Clients;
using LogStore.Protocol;
using static LogStore.Tests.Clients.ConsumerTestSupport;

namespace LogStore.Tests.Network.Groups;

public sealed partial class GroupApisTests
{
    [Test]
    public async Task Cooperative_SecondMemberJoins_FirstKeepsWhatStaysAndHandsOverTheRestAfterItRevokes()
    {
        Topic topic = await Topic(4);
        GroupClient a = Client("cooperative-sticky"), b = Client("cooperative-sticky");
        await a.JoinAndSyncAsync();
        Assert.That(a.Assignment, Has.Count.EqualTo(4));

        Assert.That(await b.JoinAsync(), Is.EqualTo(ErrorCode.None));
        Assert.That(await b.SyncAsync(), Is.EqualTo(ErrorCode.None), "a cooperative member never waits");
        Assert.That(b.Assignment, Is.Empty, "a still owns everything");

        Assert.That(await a.HeartbeatAsync(), Is.EqualTo(ErrorCode.RebalanceInProgress));
        List<TopicPartition> before = a.Assignment;
        Assert.That(await a.JoinAsync(), Is.EqualTo(ErrorCode.None));
        Assert.That(await a.SyncAsync(), Is.EqualTo(ErrorCode.None));
        Assert.That(a.Assignment, Has.Count.EqualTo(2).And.SubsetOf(before), "a keeps half without revoking it");
        Assert.That(await b.HeartbeatAsync(), Is.EqualTo(ErrorCode.None), "a has not released the other half yet");

        await a.JoinAndSyncAsync(); // a revoked the other half: its rejoin releases it
        Assert.That(await b.HeartbeatAsync(), Is.EqualTo(ErrorCode.RebalanceInProgress));
        await b.JoinAndSyncAsync();

        AssertDisjointCover(topic, a.Assignment, b.Assignment);
        Assert.That(await a.HeartbeatAsync(), Is.EqualTo(ErrorCode.None));
        Assert.That(await b.HeartbeatAsync(), Is.EqualTo(ErrorCode.None));
    }

    [Test]
    public async Task Cooperative_NetworkAndInProcessMembers_ShareTheTopic()
    {
        Topic topic = await Topic(6);
        (GroupClient a, GroupClient b) = await TwoMembers("cooperative-sticky");
        await using IConsumer<string, string> c = InProcess(PartitionAssignmentStrategy.CooperativeSticky);

        // Bounded rounds of what the clients do: heartbeat, and rejoin when told to.
        for (int round = 0; round < 10; round++)
        {
            await Drain(c);
            foreach (GroupClient client in new[] { a, b })
            {
                if (await client.HeartbeatAsync() == ErrorCode.RebalanceInProgress)
                    await client.JoinAndSyncAsync();
            }
            if (a.Assignment.Count + b.Assignment.Count + c.Assignment.Count == 6 && c.Assignment.Count > 0
                && await a.HeartbeatAsync() == ErrorCode.None && await b.HeartbeatAsync() == ErrorCode.None)
            {
                break;
            }
        }

        AssertDisjointCover(topic, a.Assignment, b.Assignment, c.Assignment);
    }
}
