using LogStore.Network.Apis.Groups;
using LogStore.Protocol;

namespace LogStore.Tests.Network.Groups;

/// <summary>
/// A consumer of Kafka's classic group protocol as librdkafka drives it, calling <see cref="GroupApis"/> directly
/// (no network): JoinGroup (again with the id MEMBER_ID_REQUIRED gives), SyncGroup as a follower, Heartbeat,
/// LeaveGroup, OffsetCommit. An eager client revokes everything before it rejoins; a cooperative one keeps what it
/// owns and rejoins after revoking what its assignment no longer holds.
/// </summary>
internal sealed class GroupClient(GroupApis apis, string groupId, string topic, params string[] protocols)
{
    /// <summary>Every wait of a test on the handlers is bounded by this.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public short JoinVersion { get; init; } = 5;

    public int SessionTimeoutMs { get; init; } = 10_000;

    public int RebalanceTimeoutMs { get; init; } = 60_000;

    public string MemberId { get; set; } = "";

    /// <summary>group.instance.id: a static member (KIP-345).</summary>
    public string? GroupInstanceId { get; init; }

    public int Generation { get; set; } = -1;

    public string? Protocol { get; private set; }

    public string? Leader { get; private set; }

    /// <summary>What the last SyncGroup gave it (cooperative: minus what it revoked since).</summary>
    public List<TopicPartition> Assignment { get; private set; } = [];

    private bool Cooperative => protocols.Contains("cooperative-sticky");

    /// <summary>JoinGroup, repeated once on MEMBER_ID_REQUIRED as a client does.</summary>
    public async Task<ErrorCode> JoinAsync()
    {
        if (!Cooperative)
            Assignment = [];
        for (int attempt = 0; attempt < 2; attempt++)
        {
            JoinGroupResponse response = await apis.JoinGroupAsync(JoinRequest(), JoinVersion, Cancel()).AsTask().WaitAsync(Timeout);
            if (response.ErrorCode == ErrorCode.MemberIdRequired)
            {
                MemberId = response.MemberId;
                continue;
            }
            if (response.ErrorCode == ErrorCode.None)
            {
                MemberId = response.MemberId;
                Generation = response.GenerationId;
                Protocol = response.ProtocolName;
                Leader = response.Leader;
                Assert.That(response.Members, Is.Empty, "every client is a follower");
            }
            return response.ErrorCode;
        }
        Assert.Fail("MEMBER_ID_REQUIRED twice");
        return ErrorCode.UnknownServerError;
    }

    public JoinGroupRequest JoinRequest() => new()
    {
        GroupId = groupId,
        SessionTimeoutMs = SessionTimeoutMs,
        RebalanceTimeoutMs = RebalanceTimeoutMs,
        MemberId = MemberId,
        GroupInstanceId = GroupInstanceId,
        ProtocolType = "consumer",
        Protocols = [.. protocols.Select(p => new JoinGroupRequest.Protocol { Name = p, Metadata = Subscription() })],
    };

    private byte[] Subscription() => new ConsumerProtocolSubscription
    {
        Version = 3,
        Topics = [topic],
        UserData = [],
        OwnedPartitions = Cooperative ? [.. Assignment] : [],
        GenerationId = Generation,
        RackId = "",
    }.Write();

    /// <summary>SyncGroup as a follower; on success <see cref="Assignment"/> is what the group gave.</summary>
    public Task<ErrorCode> SyncAsync() => SyncAsync(apis.SyncGroupAsync(SyncRequest(), 3, Cancel()).AsTask());

    public SyncGroupRequest SyncRequest() => new() { GroupId = groupId, GenerationId = Generation, MemberId = MemberId };

    public async Task<ErrorCode> SyncAsync(Task<SyncGroupResponse> pending)
    {
        SyncGroupResponse response = await pending.WaitAsync(Timeout);
        if (response.ErrorCode == ErrorCode.None)
            Assignment = ConsumerProtocolAssignment.Read(response.Assignment).AssignedPartitions;
        return response.ErrorCode;
    }

    /// <summary>Join then sync; a cooperative client whose assignment dropped partitions revokes them and does it
    /// again, as librdkafka does.</summary>
    public async Task JoinAndSyncAsync()
    {
        for (int round = 0; round < 2; round++)
        {
            List<TopicPartition> owned = Assignment;
            Assert.That(await JoinAsync(), Is.EqualTo(ErrorCode.None), $"{MemberId} join");
            Assert.That(await SyncAsync(), Is.EqualTo(ErrorCode.None), $"{MemberId} sync");
            if (!Cooperative || owned.All(Assignment.Contains))
                return;
        }
    }

    public async Task<ErrorCode> HeartbeatAsync() =>
        (await apis.HeartbeatAsync(new HeartbeatRequest { GroupId = groupId, GenerationId = Generation, MemberId = MemberId }, 3, Cancel())
            .AsTask().WaitAsync(Timeout)).ErrorCode;

    public async Task<ErrorCode> LeaveAsync() =>
        (await apis.LeaveGroupAsync(new LeaveGroupRequest { GroupId = groupId, MemberId = MemberId }, 1, Cancel())
            .AsTask().WaitAsync(Timeout)).ErrorCode;

    /// <summary>Commits <paramref name="offset"/> for each partition, returns the error of each.</summary>
    public async Task<List<ErrorCode>> CommitAsync(long offset, IEnumerable<TopicPartition>? partitions = null, int? generation = null)
    {
        var request = new OffsetCommitRequest { GroupId = groupId, GenerationIdOrMemberEpoch = generation ?? Generation, MemberId = MemberId };
        foreach (IGrouping<string, TopicPartition> byTopic in (partitions ?? Assignment).GroupBy(tp => tp.Topic))
        {
            request.Topics.Add(new OffsetCommitRequest.Topic
            {
                Name = byTopic.Key,
                Partitions = [.. byTopic.Select(tp => new OffsetCommitRequest.Partition { PartitionIndex = tp.Partition, CommittedOffset = offset })],
            });
        }
        OffsetCommitResponse response = await apis.OffsetCommitAsync(request, 9, Cancel()).AsTask().WaitAsync(Timeout);
        return [.. response.Topics.SelectMany(t => t.Partitions).Select(p => p.ErrorCode)];
    }

    private static CancellationToken Cancel() => new CancellationTokenSource(Timeout).Token;

    public override string ToString() => MemberId;
}
