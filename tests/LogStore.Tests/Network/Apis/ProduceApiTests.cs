using System.Buffers;
using LogStore.Protocol;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Network.Apis;

/// <summary>
/// Produce with several batches for one partition, as raw requests over the in-memory transport: Kafka validates a
/// partition's records as a whole, so one refused batch, wherever it lies, leaves the log as it was; valid ones go in
/// as one append and the response gives the first one's base offset.
/// </summary>
[TestFixture]
public sealed class ProduceApiTests : InMemoryListenerFixture
{
    private Partition _partition = null!;

    [SetUp]
    public async Task CreateTopic() => _partition = (await Broker.CreateTopicAsync("t", new TopicConfig())).Partitions[0];

    private async Task<ProduceResponse.PartitionResponse> ProduceAsync(params byte[][] batches)
    {
        var request = new ProduceRequest
        {
            Acks = -1,
            TimeoutMs = 30_000,
            Topics = [new ProduceRequest.TopicData { Name = "t", Partitions = [new ProduceRequest.PartitionData { Index = 0, Records = new ReadOnlySequence<byte>([.. batches.SelectMany(b => b)]) }] }],
        };
        await using KafkaWireClient client = await ConnectAsync();
        ProduceResponse response = await client.SendAsync<ProduceRequest, ProduceResponse>(request, 9, Token);
        return response.Topics.Single().Partitions.Single();
    }

    [Test]
    public async Task Produce_SeveralBatchesForOnePartition_AppendedInOrder_ResponseHasTheFirstBaseOffset()
    {
        await _partition.AppendAsync(Batches.Batch(Batches.Make(0, 1)));

        ProduceResponse.PartitionResponse result = await ProduceAsync(Batches.Make(0, 2), Batches.Make(0, 3), Batches.Make(0, 1));

        Assert.That((result.ErrorCode, result.BaseOffset), Is.EqualTo((ErrorCode.None, 1L)));
        Assert.That(_partition.LogEndOffset, Is.EqualTo(7));
        Assert.That((await Batches.ReadAll(_partition)).Select(r => r.Offset), Is.EqualTo(Enumerable.Range(0, 7).Select(i => (long)i)));
    }

    [Test]
    public async Task Produce_ARefusedBatchAfterValidOnes_AppendsNothing()
    {
        byte[] damaged = Batches.Make(0, 2);
        damaged[^1] ^= 0x40;
        byte[] cutShort = Batches.Make(0, 2)[..30];

        ProduceResponse.PartitionResponse corrupt = await ProduceAsync(Batches.Make(0, 2), damaged, Batches.Make(0, 2));
        ProduceResponse.PartitionResponse truncated = await ProduceAsync(Batches.Make(0, 2), Batches.Make(0, 2), cutShort);

        Assert.That((corrupt.ErrorCode, truncated.ErrorCode), Is.EqualTo((ErrorCode.CorruptMessage, ErrorCode.CorruptMessage)));
        Assert.That(_partition.LogEndOffset, Is.Zero, "nothing before the refused batch was appended");
        Assert.That((await ProduceAsync(Batches.Make(0, 2))).ErrorCode, Is.EqualTo(ErrorCode.None));
        Assert.That(_partition.LogEndOffset, Is.EqualTo(2));
    }
}
