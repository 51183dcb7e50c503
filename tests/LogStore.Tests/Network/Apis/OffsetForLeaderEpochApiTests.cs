using LogStore.Protocol;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Network.Apis;

/// <summary>
/// OffsetForLeaderEpoch (and the epochs of ListOffsets and Metadata) answered from the partition's leader-epoch cache,
/// as raw requests over the in-memory transport to a broker's listener.
/// </summary>
[TestFixture]
public sealed class OffsetForLeaderEpochApiTests : InMemoryListenerFixture
{
    /// <summary>Topic "t": epoch 0 for offsets 0–3, epoch 2 for 4–5, epoch 5 from 6 to the log end 8.</summary>
    private async Task<Partition> ThreeEpochsAsync()
    {
        Partition p = (await Broker.CreateTopicAsync("t", new TopicConfig())).Partitions[0];
        foreach (int epoch in new[] { 0, 0, 2, 5 })
        {
            p.Log.LeaderEpoch = epoch;
            await p.AppendAsync(Batches.Batch(Batches.Make(0, 2)));
        }
        return p;
    }

    private async Task<OffsetForLeaderEpochResponse.EpochEndOffset> AskAsync(short version, int leaderEpoch, int currentLeaderEpoch = -1,
        string topic = "t")
    {
        await using var client = await ConnectAsync();
        var request = new OffsetForLeaderEpochRequest
        {
            ReplicaId = -1,
            Topics = [new() { Name = topic, Partitions = [new() { PartitionIndex = 0, LeaderEpoch = leaderEpoch, CurrentLeaderEpoch = currentLeaderEpoch }] }],
        };
        OffsetForLeaderEpochResponse response = await client.SendAsync<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>(request, version, Token);
        return response.Topics.Single().Partitions.Single();
    }

    [TestCase(0, 0, 4L, TestName = "OffsetForLeaderEpoch_FirstEpoch_EndsWhereTheNextBegins")]
    [TestCase(1, 0, 4L, TestName = "OffsetForLeaderEpoch_UnknownEpochBetween_IsTheFloorEpoch")]
    [TestCase(2, 2, 6L, TestName = "OffsetForLeaderEpoch_MiddleEpoch_EndsWhereTheNextBegins")]
    [TestCase(5, 5, 8L, TestName = "OffsetForLeaderEpoch_LatestEpoch_EndsAtTheLogEnd")]
    [TestCase(6, -1, -1L, TestName = "OffsetForLeaderEpoch_FutureEpoch_IsUndefined")]
    public async Task OffsetForLeaderEpoch_AnswersFromTheCache(int asked, int epoch, long endOffset)
    {
        await ThreeEpochsAsync();
        foreach (short version in new short[] { 2, 3, 4 })
        {
            OffsetForLeaderEpochResponse.EpochEndOffset answer = await AskAsync(version, asked);
            Assert.That((answer.ErrorCode, answer.LeaderEpoch, answer.EndOffset), Is.EqualTo((ErrorCode.None, epoch, endOffset)), $"v{version}");
        }
    }

    [TestCase(4, (short)ErrorCode.FencedLeaderEpoch, TestName = "OffsetForLeaderEpoch_StaleCurrentEpoch_IsFenced")]
    [TestCase(6, (short)ErrorCode.UnknownLeaderEpoch, TestName = "OffsetForLeaderEpoch_NewerCurrentEpoch_IsUnknown")]
    [TestCase(5, (short)ErrorCode.None, TestName = "OffsetForLeaderEpoch_MatchingCurrentEpoch_IsAnswered")]
    public async Task OffsetForLeaderEpoch_ChecksTheCurrentLeaderEpoch(int current, short expected)
    {
        await ThreeEpochsAsync();
        OffsetForLeaderEpochResponse.EpochEndOffset answer = await AskAsync(4, leaderEpoch: 2, currentLeaderEpoch: current);
        Assert.That(answer.ErrorCode, Is.EqualTo((ErrorCode)expected));
    }

    [Test]
    public async Task OffsetForLeaderEpoch_UnknownTopic_IsUnknownTopicOrPartition()
    {
        OffsetForLeaderEpochResponse.EpochEndOffset answer = await AskAsync(4, 0, topic: "missing");
        Assert.That(answer.ErrorCode, Is.EqualTo(ErrorCode.UnknownTopicOrPartition));
    }

    [Test]
    public async Task ListOffsetsAndMetadata_CarryTheCurrentEpoch()
    {
        await ThreeEpochsAsync();
        await using var client = await ConnectAsync();

        ListOffsetsResponse offsets = await client.SendAsync<ListOffsetsRequest, ListOffsetsResponse>(new ListOffsetsRequest
        {
            Topics = [new() { Name = "t", Partitions = [new() { PartitionIndex = 0, Timestamp = ListOffsetsRequest.LatestTimestamp }] }],
        }, 7, Token);
        MetadataResponse metadata = await client.SendAsync<MetadataRequest, MetadataResponse>(new MetadataRequest { Topics = null }, 12, Token);

        ListOffsetsResponse.PartitionResponse latest = offsets.Topics.Single().Partitions.Single();
        Assert.That((latest.Offset, latest.LeaderEpoch), Is.EqualTo((8L, 5)));
        Assert.That(metadata.Topics.Single(t => t.Name == "t").Partitions.Single().LeaderEpoch, Is.EqualTo(5));
    }
}
