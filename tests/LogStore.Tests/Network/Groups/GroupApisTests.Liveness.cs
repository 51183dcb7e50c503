using LogStore.Protocol;

namespace LogStore.Tests.Network.Groups;

public sealed partial class GroupApisTests
{
    [Test]
    public async Task SessionTimeout_SilentNetworkMember_IsEvictedAndTheOtherTakesItsPartitions()
    {
        Topic topic = await Topic(4);
        (GroupClient a, GroupClient silent) = await TwoMembers();

        // Only a heartbeats while the fake clock runs past the 10 s session timeout, one second at a time.
        for (int second = 0; second < 9; second++)
        {
            Time.Advance(TimeSpan.FromSeconds(1));
            Assert.That(await a.HeartbeatAsync(), Is.EqualTo(ErrorCode.None), $"second {second + 1}");
        }
        Assert.That(Group().Snapshot().Targets, Has.Count.EqualTo(2), "not evicted before the session timeout");
        for (int second = 0; second < 3; second++)
            Time.Advance(TimeSpan.FromSeconds(1));

        Assert.That(Group().Snapshot().Targets.Keys, Is.EquivalentTo(new[] { a.MemberId }));
        Assert.That(await silent.HeartbeatAsync(), Is.EqualTo(ErrorCode.UnknownMemberId));
        Assert.That(await silent.CommitAsync(3), Has.All.EqualTo(ErrorCode.UnknownMemberId), "an evicted member commits nothing");
        Assert.That(await a.HeartbeatAsync(), Is.EqualTo(ErrorCode.RebalanceInProgress));
        await a.JoinAndSyncAsync();
        AssertDisjointCover(topic, a.Assignment);
    }

    [Test]
    public async Task SessionTimeout_InProcessConsumerSilent_IsEvictedWhileTheNetworkMemberHeartbeats()
    {
        Topic topic = await Topic(4);
        GroupClient a = Client();
        await a.JoinAndSyncAsync();
        await using var silent = InProcess();
        Assert.That(await a.HeartbeatAsync(), Is.EqualTo(ErrorCode.RebalanceInProgress));
        await a.JoinAndSyncAsync();
        Assert.That(a.Assignment, Has.Count.EqualTo(2));

        for (int second = 0; second < 12; second++)
        {
            Time.Advance(TimeSpan.FromSeconds(1));
            await a.HeartbeatAsync();
        }

        Assert.That(Group().Snapshot().Targets.Keys, Is.EquivalentTo(new[] { a.MemberId }));
        await a.JoinAndSyncAsync();
        AssertDisjointCover(topic, a.Assignment);
    }

    [Test]
    public async Task RebalanceTimeout_MemberHeartbeatsButNeverRejoins_IsEvicted()
    {
        Topic topic = await Topic(4);
        GroupClient stuck = new(_apis, "g", "t", "range") { RebalanceTimeoutMs = 20_000 };
        await stuck.JoinAndSyncAsync();
        GroupClient b = Client();
        Assert.That(await b.JoinAsync(), Is.EqualTo(ErrorCode.None));

        for (int second = 0; second < 19; second++)
        {
            Time.Advance(TimeSpan.FromSeconds(1));
            Assert.That(await stuck.HeartbeatAsync(), Is.EqualTo(ErrorCode.RebalanceInProgress), $"second {second + 1}");
            await b.HeartbeatAsync();
        }
        Assert.That(Group().Snapshot().Targets, Has.Count.EqualTo(2), "not evicted before the rebalance timeout");
        for (int second = 0; second < 3; second++)
        {
            Time.Advance(TimeSpan.FromSeconds(1));
            await b.HeartbeatAsync();
        }

        Assert.That(await stuck.HeartbeatAsync(), Is.EqualTo(ErrorCode.UnknownMemberId));
        await b.JoinAndSyncAsync();
        AssertDisjointCover(topic, b.Assignment);
    }
}
