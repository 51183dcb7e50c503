using LogStore.Clients;
using LogStore.Clients.Groups;
using LogStore.Network.Apis;
using LogStore.Network.Apis.Groups;
using LogStore.Protocol;
using LogStore.Tests.TestSupport;
using static LogStore.Tests.Clients.ConsumerTestSupport;

namespace LogStore.Tests.Network.Groups;

/// <summary>
/// The group APIs driven directly (no network) with a fake clock: network members and in-process consumers share
/// one group, one assignment and one <c>__consumer_offsets</c>.
/// </summary>
[TestFixture]
public sealed partial class GroupApisTests : BrokerFixture
{
    private Broker _broker = null!;
    private GroupApis _apis = null!;

    [SetUp]
    public async Task SetUp()
    {
        _broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = Dir.Path, TimeProvider = Time });
        _apis = new GroupApis(_broker);
    }

    [TearDown]
    public async Task TearDown() => await _broker.DisposeAsync();

    private GroupClient Client(string protocol = "range", string group = "g") => new(_apis, group, "t", protocol);

    private IConsumer<string, string> InProcess(PartitionAssignmentStrategy strategy = PartitionAssignmentStrategy.Range, string group = "g")
    {
        IConsumer<string, string> consumer = _broker.CreateConsumer<string, string>(new ConsumerOptions
        {
            GroupId = group,
            PartitionAssignmentStrategy = strategy,
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SessionTimeout = TimeSpan.FromSeconds(10),
            HeartbeatInterval = TimeSpan.FromSeconds(1),
        });
        consumer.Subscribe(["t"]);
        return consumer;
    }

    private async Task<Topic> Topic(int partitions) => await _broker.CreateTopicAsync("t", new TopicConfig { Partitions = partitions });

    private ConsumerGroup Group(string id = "g") => GroupCoordinator.For(_broker).GetGroup(id);

    private static void AssertDisjointCover(Topic topic, params IEnumerable<TopicPartition>[] assignments)
    {
        var all = assignments.SelectMany(a => a).ToList();
        Assert.That(all, Is.Unique, "a partition is assigned to two members");
        Assert.That(all, Is.EquivalentTo(topic.Partitions.Select(p => p.Id)), "every partition has an owner");
        Assert.That(assignments, Has.All.Not.Empty, "every member has partitions");
    }

    /// <summary>Two network members in the group, settled: a has the first half, b the second.</summary>
    private async Task<(GroupClient A, GroupClient B)> TwoMembers(string protocol = "range")
    {
        GroupClient a = Client(protocol), b = Client(protocol);
        await a.JoinAndSyncAsync();
        Assert.That(await b.JoinAsync(), Is.EqualTo(ErrorCode.None));
        Task<ErrorCode> bSync = b.SyncAsync();
        Assert.That(await a.HeartbeatAsync(), Is.EqualTo(ErrorCode.RebalanceInProgress));
        await a.JoinAndSyncAsync();
        Assert.That(await bSync, Is.EqualTo(ErrorCode.None));
        if (protocol == "cooperative-sticky")
        {
            Assert.That(await b.HeartbeatAsync(), Is.EqualTo(ErrorCode.RebalanceInProgress), "the partitions a revoked are free");
            await b.JoinAndSyncAsync();
        }
        return (a, b);
    }

    [Test]
    public async Task FindCoordinator_AnyGroup_AnswersThisNode()
    {
        var self = new BrokerNode(0, "127.0.0.1", 9092);

        FindCoordinatorResponse response = await _apis.FindCoordinatorAsync(new FindCoordinatorRequest { Key = "any-group" }, 2, self, default);
        FindCoordinatorResponse unknownType = await _apis.FindCoordinatorAsync(new FindCoordinatorRequest { Key = "g", KeyType = 2 }, 2, self, default);

        Assert.That((response.ErrorCode, response.NodeId, response.Host, response.Port), Is.EqualTo((ErrorCode.None, 0, "127.0.0.1", 9092)));
        Assert.That(unknownType.ErrorCode, Is.EqualTo(ErrorCode.InvalidRequest));
    }

    [Test]
    public async Task JoinGroup_FirstJoinV4_AnswersMemberIdRequiredThenJoinsWithThatId()
    {
        await Topic(2);
        GroupClient a = Client();
        JoinGroupResponse first = await _apis.JoinGroupAsync(a.JoinRequest(), 5, default);
        Assert.That(first.ErrorCode, Is.EqualTo(ErrorCode.MemberIdRequired));
        Assert.That(first.MemberId, Is.Not.Empty);
        Assert.That(Group().Snapshot().Targets, Is.Empty, "no member before the second join");

        a.MemberId = first.MemberId;
        JoinGroupResponse second = await _apis.JoinGroupAsync(a.JoinRequest(), 5, default);

        Assert.That(second.ErrorCode, Is.EqualTo(ErrorCode.None));
        Assert.That(second.MemberId, Is.EqualTo(first.MemberId));
        Assert.That(second.Leader, Is.EqualTo(GroupApis.LeaderId).And.Not.EqualTo(second.MemberId), "the client follows");
        Assert.That(second.ProtocolName, Is.EqualTo("range"));
        Assert.That(Group().Snapshot().Targets.Keys, Is.EquivalentTo(new[] { first.MemberId }));
    }

    [Test]
    public async Task JoinGroup_V3WithoutMemberId_JoinsAtOnce()
    {
        await Topic(2);
        JoinGroupResponse response = await _apis.JoinGroupAsync(Client().JoinRequest(), 3, default);

        Assert.That(response.ErrorCode, Is.EqualTo(ErrorCode.None));
        Assert.That(response.GenerationId, Is.GreaterThan(0));
        Assert.That(Group().Snapshot().Targets.Keys, Is.EquivalentTo(new[] { response.MemberId }));
    }

    [Test]
    public async Task JoinGroup_MemberIdNeverIssued_AnswersUnknownMemberId()
    {
        await Topic(2);
        GroupClient a = Client();
        a.MemberId = "made-up";

        Assert.That(await a.JoinAsync(), Is.EqualTo(ErrorCode.UnknownMemberId));
        Assert.That(Group().Snapshot().Targets, Is.Empty);
    }

    [Test]
    public async Task JoinGroup_ProtocolTheGroupDoesNotUse_AnswersInconsistentGroupProtocol()
    {
        await Topic(2);
        await using IConsumer<string, string> ranged = InProcess(PartitionAssignmentStrategy.Range);

        Assert.That(await Client("cooperative-sticky").JoinAsync(), Is.EqualTo(ErrorCode.InconsistentGroupProtocol));
        GroupClient both = new(_apis, "g", "t", "cooperative-sticky", "range");
        Assert.That(await both.JoinAsync(), Is.EqualTo(ErrorCode.None));
        Assert.That(both.Protocol, Is.EqualTo("range"), "the group's protocol among those offered");
        Assert.That(await Client("sticky", group: "other").JoinAsync(), Is.EqualTo(ErrorCode.InconsistentGroupProtocol), "an assignor LogStore lacks");
    }

    [Test]
    public async Task JoinGroup_BadRequests_AnswerTheirErrorCodes()
    {
        await Topic(2);
        JoinGroupRequest noGroup = Client(group: "").JoinRequest();
        JoinGroupRequest shortSession = Client().JoinRequest();
        shortSession.SessionTimeoutMs = 100;
        JoinGroupRequest notConsumer = Client().JoinRequest();
        notConsumer.ProtocolType = "connect";
        JoinGroupRequest garbage = Client().JoinRequest();
        garbage.Protocols[0].Metadata = [0, 1, 0, 0];

        Assert.That((await _apis.JoinGroupAsync(noGroup, 5, default)).ErrorCode, Is.EqualTo(ErrorCode.InvalidGroupId));
        Assert.That((await _apis.JoinGroupAsync(shortSession, 5, default)).ErrorCode, Is.EqualTo(ErrorCode.InvalidSessionTimeout));
        Assert.That((await _apis.JoinGroupAsync(notConsumer, 5, default)).ErrorCode, Is.EqualTo(ErrorCode.InconsistentGroupProtocol));
        Assert.That((await _apis.JoinGroupAsync(garbage, 5, default)).ErrorCode, Is.EqualTo(ErrorCode.InconsistentGroupProtocol));
        Assert.That(Group().Snapshot().Targets, Is.Empty);
    }

    [Test]
    public async Task TwoNetworkMembersAndAnInProcessConsumer_GetDisjointAssignmentsCoveringEveryPartition()
    {
        Topic topic = await Topic(6);
        (GroupClient a, GroupClient b) = await TwoMembers();
        AssertDisjointCover(topic, a.Assignment, b.Assignment);

        await using IConsumer<string, string> c = InProcess();
        Assert.That(await a.HeartbeatAsync(), Is.EqualTo(ErrorCode.RebalanceInProgress));
        Assert.That(await b.HeartbeatAsync(), Is.EqualTo(ErrorCode.RebalanceInProgress));
        Task aRejoined = a.JoinAndSyncAsync();
        Task bRejoined = b.JoinAndSyncAsync();
        await Task.WhenAll(aRejoined, bRejoined).WaitAsync(GroupClient.Timeout);
        await Pump(_broker, "g", c);

        AssertDisjointCover(topic, a.Assignment, b.Assignment, c.Assignment);
        Assert.That(await a.HeartbeatAsync(), Is.EqualTo(ErrorCode.None));
        Assert.That(await b.HeartbeatAsync(), Is.EqualTo(ErrorCode.None));
        Assert.That(Group().Snapshot().Owners, Has.Count.EqualTo(6));
    }

    [Test]
    public async Task SyncGroup_EagerMemberWhosePartitionsAnInProcessConsumerHolds_WaitsUntilItReleasesThem()
    {
        Topic topic = await Topic(4);
        await using IConsumer<string, string> c = InProcess();
        await Pump(_broker, "g", c);
        Assert.That(c.Assignment, Has.Count.EqualTo(4));
        GroupClient a = Client();
        Assert.That(await a.JoinAsync(), Is.EqualTo(ErrorCode.None));

        Task<ErrorCode> sync = a.SyncAsync();
        Assert.That(sync.IsCompleted, Is.False, "c still owns a's partitions");
        await Drain(c); // c revokes everything (eager), releases, and takes its new target

        Assert.That(await sync, Is.EqualTo(ErrorCode.None));
        AssertDisjointCover(topic, a.Assignment, c.Assignment);
    }

    [Test]
    public async Task SyncGroup_WaitingWhenTheBrokerCloses_AnswersCoordinatorNotAvailableAtOnce()
    {
        await Topic(4);
        await using IConsumer<string, string> c = InProcess();
        await Pump(_broker, "g", c);
        GroupClient a = Client();
        Assert.That(await a.JoinAsync(), Is.EqualTo(ErrorCode.None));
        Task<ErrorCode> sync = a.SyncAsync();
        Assert.That(sync.IsCompleted, Is.False);

        await _broker.DisposeAsync(); // the fake clock never reaches the end of the wait

        Assert.That(await sync, Is.EqualTo(ErrorCode.CoordinatorNotAvailable));
    }

    [Test]
    public async Task SyncGroup_PartitionsHeldPastTheWait_GetsTheFreePartAndIsAskedToRejoinOnceTheRestIsFree()
    {
        Topic topic = await Topic(4);
        await using IConsumer<string, string> c = InProcess();
        await Pump(_broker, "g", c);
        GroupClient a = Client();
        Assert.That(await a.JoinAsync(), Is.EqualTo(ErrorCode.None));
        Task<ErrorCode> sync = a.SyncAsync();

        Time.Advance(TimeSpan.FromSeconds(5)); // half the session timeout: c has not polled

        Assert.That(await sync, Is.EqualTo(ErrorCode.None));
        Assert.That(a.Assignment, Is.Empty, "everything a should get is still c's");
        Assert.That(await a.HeartbeatAsync(), Is.EqualTo(ErrorCode.None), "nothing free yet");
        await Drain(c);
        Assert.That(await a.HeartbeatAsync(), Is.EqualTo(ErrorCode.RebalanceInProgress), "its partitions are free now");
        await a.JoinAndSyncAsync();
        AssertDisjointCover(topic, a.Assignment, c.Assignment);
    }

    [Test]
    public async Task LeaveGroup_OneMemberLeaves_TheOtherSeesRebalanceInProgressAndRejoinsInANewGeneration()
    {
        Topic topic = await Topic(4);
        (GroupClient a, GroupClient b) = await TwoMembers();
        int generation = a.Generation;

        Assert.That(await b.LeaveAsync(), Is.EqualTo(ErrorCode.None));

        Assert.That(await a.HeartbeatAsync(), Is.EqualTo(ErrorCode.RebalanceInProgress));
        await a.JoinAndSyncAsync();
        Assert.That(a.Generation, Is.GreaterThan(generation));
        AssertDisjointCover(topic, a.Assignment);
        Assert.That(await a.HeartbeatAsync(), Is.EqualTo(ErrorCode.None));
        Assert.That(await b.HeartbeatAsync(), Is.EqualTo(ErrorCode.UnknownMemberId));
        Assert.That(await b.LeaveAsync(), Is.EqualTo(ErrorCode.UnknownMemberId));
    }

    [Test]
    public async Task LeaveGroup_V3BatchNamesMembers_AnswersPerMember()
    {
        await Topic(4);
        (GroupClient a, _) = await TwoMembers();
        var request = new LeaveGroupRequest
        {
            GroupId = "g",
            Members = [new() { MemberId = a.MemberId }, new() { MemberId = "nobody" }],
        };

        LeaveGroupResponse response = await _apis.LeaveGroupAsync(request, 4, default);

        Assert.That(response.ErrorCode, Is.EqualTo(ErrorCode.None));
        Assert.That(response.Members.Select(m => m.ErrorCode), Is.EqualTo(new[] { ErrorCode.None, ErrorCode.UnknownMemberId }));
        Assert.That(Group().Snapshot().Targets, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task OldGenerationAndUnknownMember_AreRefusedWithTheirErrorCodes()
    {
        await Topic(4);
        (GroupClient a, GroupClient b) = await TwoMembers();
        int old = a.Generation;
        await using IConsumer<string, string> c = InProcess();
        Assert.That(await a.HeartbeatAsync(), Is.EqualTo(ErrorCode.RebalanceInProgress), "a is still in its generation: rejoin");
        await a.JoinAndSyncAsync();
        Assert.That(a.Generation, Is.GreaterThan(old));

        Assert.That(await new GroupClient(_apis, "g", "t", "range") { MemberId = a.MemberId, Generation = old }.HeartbeatAsync(),
            Is.EqualTo(ErrorCode.IllegalGeneration));
        Assert.That(await a.CommitAsync(1, generation: old), Has.All.EqualTo(ErrorCode.IllegalGeneration));
        SyncGroupRequest staleSync = a.SyncRequest();
        staleSync.GenerationId = old;
        Assert.That((await _apis.SyncGroupAsync(staleSync, 3, default)).ErrorCode, Is.EqualTo(ErrorCode.IllegalGeneration));

        GroupClient stranger = new(_apis, "g", "t", "range") { MemberId = "nobody", Generation = a.Generation };
        Assert.That(await stranger.HeartbeatAsync(), Is.EqualTo(ErrorCode.UnknownMemberId));
        Assert.That(await stranger.SyncAsync(), Is.EqualTo(ErrorCode.UnknownMemberId));
        Assert.That(await stranger.CommitAsync(1, a.Assignment), Has.All.EqualTo(ErrorCode.UnknownMemberId));
        Assert.That(await new GroupClient(_apis, "elsewhere", "t", "range") { MemberId = a.MemberId }.HeartbeatAsync(),
            Is.EqualTo(ErrorCode.UnknownMemberId), "a member of another group");
        Assert.That(GroupCoordinator.For(_broker).Offsets.GetAll("g"), Is.Empty, "nothing refused was stored");
    }

    [Test]
    public async Task Heartbeat_SubscribedTopicCreatedAfterTheJoin_AsksToRejoinAndTheMemberGetsItsPartitions()
    {
        GroupClient a = new(_apis, "g", "later", "range");
        await a.JoinAndSyncAsync();
        Assert.That(a.Assignment, Is.Empty, "the topic does not exist yet");
        Assert.That(await a.HeartbeatAsync(), Is.EqualTo(ErrorCode.None));

        await _broker.CreateTopicAsync("later", new TopicConfig { Partitions = 3 });

        Assert.That(await a.HeartbeatAsync(), Is.EqualTo(ErrorCode.RebalanceInProgress), "no client leads: the group watches the topics");
        await a.JoinAndSyncAsync();
        Assert.That(a.Assignment, Has.Count.EqualTo(3));
        Assert.That(await a.HeartbeatAsync(), Is.EqualTo(ErrorCode.None));
    }

    [Test]
    public async Task JoinGroup_IssuedMemberIdUsedAfterTheSessionTimeout_AnswersUnknownMemberId()
    {
        await Topic(2);
        GroupClient a = Client();
        JoinGroupResponse first = await _apis.JoinGroupAsync(a.JoinRequest(), 5, default);
        Assert.That(first.ErrorCode, Is.EqualTo(ErrorCode.MemberIdRequired));

        Time.Advance(TimeSpan.FromSeconds(11)); // the session timeout is 10 s
        a.MemberId = first.MemberId;

        Assert.That((await _apis.JoinGroupAsync(a.JoinRequest(), 5, default)).ErrorCode, Is.EqualTo(ErrorCode.UnknownMemberId));
        Assert.That(Group().Snapshot().Targets, Is.Empty);
    }

    [Test]
    public async Task JoinGroup_StaticMemberRestarts_ReplacesItsOldIncarnationWhichIsFencedOut()
    {
        Topic topic = await Topic(4);
        GroupClient first = new(_apis, "g", "t", "range") { GroupInstanceId = "instance-1" };
        await first.JoinAndSyncAsync();

        GroupClient restarted = new(_apis, "g", "t", "range") { GroupInstanceId = "instance-1" };
        await restarted.JoinAndSyncAsync();

        Assert.That(Group().Snapshot().Targets.Keys, Is.EquivalentTo(new[] { restarted.MemberId }));
        AssertDisjointCover(topic, restarted.Assignment);
        Assert.That(await first.HeartbeatAsync(), Is.EqualTo(ErrorCode.UnknownMemberId));
        LeaveGroupResponse left = await _apis.LeaveGroupAsync(
            new LeaveGroupRequest { GroupId = "g", Members = [new() { MemberId = "", GroupInstanceId = "instance-1" }] }, 3, default);
        Assert.That(left.Members.Single().ErrorCode, Is.EqualTo(ErrorCode.None), "a static member leaves by its instance id");
        Assert.That(Group().Snapshot().Targets, Is.Empty);
    }
}
