using LogStore.Clients;
using LogStore.Network.Apis.Groups;
using LogStore.Protocol;
using static LogStore.Tests.Clients.ConsumerTestSupport;

namespace LogStore.Tests.Network.Groups;

public sealed partial class GroupApisTests
{
    private async Task<DescribeGroupsResponse.DescribedGroup> DescribeGroup(string groupId) =>
        (await _apis.DescribeGroupsAsync(new DescribeGroupsRequest { Groups = [groupId] }, 5, default)).Groups.Single();

    [Test]
    public async Task DescribeGroups_NetworkAndInProcessMembers_AreAllReportedWithTheirAssignments()
    {
        Topic topic = await Topic(6);
        (GroupClient a, GroupClient b) = await TwoMembers();
        await using IConsumer<string, string> c = InProcess();
        Assert.That((await DescribeGroup("g")).GroupState, Is.EqualTo("PreparingRebalance"), "a and b must rejoin");
        await Task.WhenAll(a.JoinAndSyncAsync(), b.JoinAndSyncAsync()).WaitAsync(GroupClient.Timeout);
        await Pump(_broker, "g", c);

        DescribeGroupsResponse.DescribedGroup described = await DescribeGroup("g");

        Assert.That((described.ErrorCode, described.GroupState, described.ProtocolType, described.ProtocolData),
            Is.EqualTo((ErrorCode.None, "Stable", "consumer", "range")));
        Assert.That(described.Members.Select(m => m.MemberId).ToList(), Is.SupersetOf(new[] { a.MemberId, b.MemberId }).And.Count.EqualTo(3));
        var assignments = described.Members.Select(m => ConsumerProtocolAssignment.Read(m.MemberAssignment).AssignedPartitions).ToArray();
        AssertDisjointCover(topic, assignments);
        Assert.That(described.Members.Select(m => ConsumerProtocolSubscription.Read(m.MemberMetadata).Topics), Has.All.EqualTo(new[] { "t" }));
        Assert.That(described.Members.Single(m => m.MemberId != a.MemberId && m.MemberId != b.MemberId).ClientId,
            Is.EqualTo(GroupApis.InProcessClientId));
        Assert.That(ConsumerProtocolAssignment.Read(described.Members.Single(m => m.MemberId == a.MemberId).MemberAssignment).AssignedPartitions,
            Is.EqualTo(a.Assignment));
    }

    [Test]
    public async Task DescribeGroups_UnknownOrOffsetsOnly_AreDeadOrEmpty()
    {
        await Topic(1);
        var outsider = new GroupClient(_apis, "offsets-only", "t", "range") { Generation = -1 };
        Assert.That(await outsider.CommitAsync(1, [new TopicPartition("t", 0)]), Has.All.EqualTo(ErrorCode.None));

        Assert.That((await DescribeGroup("never")).GroupState, Is.EqualTo("Dead"));
        Assert.That((await DescribeGroup("offsets-only")).GroupState, Is.EqualTo("Empty"));
        Assert.That((await DescribeGroup("")).ErrorCode, Is.EqualTo(ErrorCode.InvalidGroupId));
    }

    [Test]
    public async Task ListGroups_GroupsWithMembersOrOffsets_AreListedAndFiltered()
    {
        await Topic(2);
        await Client().JoinAndSyncAsync();
        await using IConsumer<string, string> inProcess = InProcess(group: "local");
        await Pump(_broker, "local", inProcess);
        var outsider = new GroupClient(_apis, "offsets-only", "t", "range") { Generation = -1 };
        Assert.That(await outsider.CommitAsync(1, [new TopicPartition("t", 0)]), Has.All.EqualTo(ErrorCode.None));

        ListGroupsResponse all = await _apis.ListGroupsAsync(new ListGroupsRequest(), 5, default);
        ListGroupsResponse stable = await _apis.ListGroupsAsync(new ListGroupsRequest { StatesFilter = ["stable"] }, 5, default);
        ListGroupsResponse newProtocol = await _apis.ListGroupsAsync(new ListGroupsRequest { TypesFilter = ["consumer"] }, 5, default);

        Assert.That(all.ErrorCode, Is.EqualTo(ErrorCode.None));
        Assert.That(all.Groups.Select(g => (g.GroupId, g.GroupState)),
            Is.EquivalentTo(new[] { ("g", "Stable"), ("local", "Stable"), ("offsets-only", "Empty") }));
        Assert.That(all.Groups.Select(g => g.ProtocolType), Has.All.EqualTo("consumer"));
        Assert.That(stable.Groups.Select(g => g.GroupId), Is.EquivalentTo(new[] { "g", "local" }));
        Assert.That(newProtocol.Groups, Is.Empty, "every group here speaks the classic protocol");
    }
}
