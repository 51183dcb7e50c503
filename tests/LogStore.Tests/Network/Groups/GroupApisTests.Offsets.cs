using LogStore.Clients;
using LogStore.Clients.Groups;
using LogStore.Protocol;
using static LogStore.Tests.Clients.ConsumerTestSupport;

namespace LogStore.Tests.Network.Groups;

public sealed partial class GroupApisTests
{
    private async Task<OffsetFetchResponse> FetchOffsets(string group, params TopicPartition[] partitions)
    {
        var request = new OffsetFetchRequest
        {
            GroupId = group,
            Topics = partitions.Length == 0 ? null : [.. partitions.GroupBy(p => p.Topic).Select(t => new OffsetFetchRequest.Topic
            {
                Name = t.Key,
                PartitionIndexes = [.. t.Select(p => p.Partition)],
            })],
        };
        return await _apis.OffsetFetchAsync(request, 6, default);
    }

    private static Dictionary<TopicPartition, long> Offsets(OffsetFetchResponse response) =>
        response.Topics.SelectMany(t => t.Partitions.Select(p => (new TopicPartition(t.Name, p.PartitionIndex), p.CommittedOffset)))
            .ToDictionary(x => x.Item1, x => x.CommittedOffset);

    [Test]
    public async Task OffsetCommit_FromANetworkMember_IsSeenByAnInProcessConsumer()
    {
        Topic topic = await Topic(2);
        GroupClient a = Client();
        await a.JoinAndSyncAsync();

        Assert.That(await a.CommitAsync(5), Is.EqualTo(new[] { ErrorCode.None, ErrorCode.None }));

        await using IConsumer<string, string> reader = _broker.CreateConsumer<string, string>(new ConsumerOptions { GroupId = "g" });
        Assert.That(topic.Partitions.Select(p => reader.Committed(p.Id)), Has.All.EqualTo(5));
    }

    [Test]
    public async Task OffsetFetch_CommitOfAnInProcessMember_IsSeenOverTheNetwork()
    {
        Topic topic = await Topic(2);
        await using IConsumer<string, string> c = InProcess();
        await Pump(_broker, "g", c);

        c.Commit([new TopicPartitionOffset(new TopicPartition("t", 1), 7)]);

        OffsetFetchResponse response = await FetchOffsets("g", new TopicPartition("t", 0), new TopicPartition("t", 1));
        Assert.That(response.ErrorCode, Is.EqualTo(ErrorCode.None));
        Assert.That(Offsets(response), Is.EqualTo(new Dictionary<TopicPartition, long> { [new("t", 0)] = -1, [new("t", 1)] = 7 }));
        Assert.That(Offsets(await FetchOffsets("g")), Is.EqualTo(new Dictionary<TopicPartition, long> { [new("t", 1)] = 7 }),
            "null topics: every committed partition");
    }

    [Test]
    public async Task OffsetFetch_NothingEverCommitted_AnswersMinusOneAndCreatesNoOffsetsTopic()
    {
        await Topic(1);

        OffsetFetchResponse response = await FetchOffsets("g", new TopicPartition("t", 0));

        Assert.That(Offsets(response)[new TopicPartition("t", 0)], Is.EqualTo(-1));
        Assert.That(_broker.TryGetTopic(OffsetStore.TopicName, out _), Is.False);
    }

    [Test]
    public async Task OffsetCommit_PartitionsOfAnotherMember_AreRefusedAndNothingIsStored()
    {
        await Topic(4);
        (GroupClient a, GroupClient b) = await TwoMembers();

        List<ErrorCode> errors = await a.CommitAsync(9, [.. a.Assignment, b.Assignment[0]]);

        Assert.That(errors, Has.All.EqualTo(ErrorCode.IllegalGeneration));
        Assert.That(GroupCoordinator.For(_broker).Offsets.GetAll("g"), Is.Empty);
    }

    [Test]
    public async Task OffsetCommit_UnknownPartitionNegativeOffsetOrLongMetadata_RefusesThoseAndCommitsTheRest()
    {
        await Topic(2);
        GroupClient a = Client();
        await a.JoinAndSyncAsync();
        var request = new OffsetCommitRequest
        {
            GroupId = "g",
            GenerationIdOrMemberEpoch = a.Generation,
            MemberId = a.MemberId,
            Topics =
            [
                new() { Name = "t", Partitions = [new() { PartitionIndex = 0, CommittedOffset = 3 }, new() { PartitionIndex = 1, CommittedOffset = -5 }] },
                new() { Name = "t", Partitions = [new() { PartitionIndex = 1, CommittedOffset = 4, CommittedMetadata = new string('m', 5000) }] },
                new() { Name = "missing", Partitions = [new() { PartitionIndex = 0, CommittedOffset = 1 }] },
                new() { Name = "t", Partitions = [new() { PartitionIndex = 9, CommittedOffset = 1 }] },
            ],
        };

        OffsetCommitResponse response = await _apis.OffsetCommitAsync(request, 9, default);

        Assert.That(response.Topics.SelectMany(t => t.Partitions).Select(p => p.ErrorCode), Is.EqualTo(new[]
        {
            ErrorCode.None, ErrorCode.OffsetOutOfRange, ErrorCode.OffsetMetadataTooLarge, ErrorCode.UnknownTopicOrPartition,
            ErrorCode.UnknownTopicOrPartition,
        }));
        Assert.That(GroupCoordinator.For(_broker).Offsets.GetAll("g"), Is.EqualTo(new Dictionary<TopicPartition, long> { [new("t", 0)] = 3 }));
    }

    [Test]
    public async Task OffsetCommit_SimpleCommit_IsStoredWhileTheGroupHasNoMembersOnly()
    {
        await Topic(2);
        var outsider = new GroupClient(_apis, "g", "t", "range") { MemberId = "", Generation = -1 };
        TopicPartition p0 = new("t", 0);

        Assert.That(await outsider.CommitAsync(4, [p0]), Has.All.EqualTo(ErrorCode.None));
        Assert.That(GroupCoordinator.For(_broker).Offsets.Get("g", p0), Is.EqualTo(4));

        await Client().JoinAndSyncAsync();
        Assert.That(await outsider.CommitAsync(6, [p0]), Has.All.EqualTo(ErrorCode.UnknownMemberId));
        Assert.That(GroupCoordinator.For(_broker).Offsets.Get("g", p0), Is.EqualTo(4));
    }

    [Test]
    public async Task OffsetCommit_MemberStillToRejoin_CommitsWhatItOwnsAsKafkaDoesBeforeTheRebalanceCompletes()
    {
        await Topic(4);
        GroupClient a = Client();
        await a.JoinAndSyncAsync();
        await using IConsumer<string, string> c = InProcess(); // a rebalance: a must rejoin, revoking first

        Assert.That(await a.CommitAsync(2), Has.All.EqualTo(ErrorCode.None), "the commit an eager client makes on revoke");
        Assert.That(GroupCoordinator.For(_broker).Offsets.GetAll("g"), Has.Count.EqualTo(4));
    }
}
