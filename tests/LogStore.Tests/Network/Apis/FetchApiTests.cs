using System.Net;
using System.Buffers;
using LogStore.Network.Transport;
using LogStore.Protocol;
using LogStore.Storage;
using LogStore.Storage.Files;
using LogStore.Tests.Protocol;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Network.Apis;

/// <summary>
/// Fetch v13–v16 (topics by id) and incremental fetch sessions (KIP-227), as raw requests over the in-memory
/// transport to a broker's listener: a full fetch that opens a session, incremental ones that name only what changed
/// and get only what changed, and the session errors.
/// </summary>
[TestFixture]
public sealed class FetchApiTests : BrokerFixture
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private Broker _broker = null!;
    private InMemoryConnectionListenerFactory _transport = null!;
    private CancellationTokenSource? _timeout;

    private CancellationToken Token => _timeout!.Token;

    [SetUp]
    public async Task OpenBroker()
    {
        // Kept when a test reopens the broker: one bound on the whole test.
        _timeout ??= new CancellationTokenSource(Timeout);
        _transport = new InMemoryConnectionListenerFactory();
        _broker = await Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = Dir.Path,
            KafkaTransport = _transport,
            KafkaListener = new KafkaListenerOptions { Endpoint = new IPEndPoint(IPAddress.Loopback, 0) },
        });
    }

    [TearDown]
    public async Task CloseBroker()
    {
        await _broker.DisposeAsync();
        _timeout?.Dispose();
        _timeout = null;
    }

    private async Task<KafkaWireClient> ConnectAsync() => new(new TestClient(await _transport.ConnectAsync(Token)));

    private async Task<Topic> TopicWithRecordsAsync(string name, params int[] records)
    {
        Topic topic = await _broker.CreateTopicAsync(name, new TopicConfig { Partitions = records.Length });
        for (int p = 0; p < records.Length; p++)
        {
            if (records[p] > 0)
                await topic.Partitions[p].AppendAsync(Batches.Batch(Batches.Make(0, records[p])));
        }
        return topic;
    }

    /// <summary>A consumer's fetch (no waiting) of <paramref name="partitions"/> at their offsets.</summary>
    private static FetchRequest Fetch(Topic topic, int sessionId, int epoch, params (int Partition, long Offset)[] partitions) => new()
    {
        MaxWaitMs = 0,
        MinBytes = 1,
        MaxBytes = 1 << 20,
        SessionId = sessionId,
        SessionEpoch = epoch,
        Topics = partitions.Length == 0 ? [] :
        [
            new FetchRequest.Topic
            {
                Name = topic.Name,
                TopicId = topic.TopicId,
                Partitions = [.. partitions.Select(p => new FetchRequest.Partition { PartitionIndex = p.Partition, FetchOffset = p.Offset, PartitionMaxBytes = 1 << 20 })],
            },
        ],
    };

    private static Task<FetchResponse> SendAsync(KafkaWireClient client, FetchRequest request, short version, CancellationToken token) =>
        client.SendAsync<FetchRequest, FetchResponse>(request, version, token);

    /// <summary>(partition, record bytes, high watermark) of every partition a response carries.</summary>
    private static (int Partition, long Bytes, long HighWatermark)[] Answered(FetchResponse response) =>
        [.. response.Topics.SelectMany(t => t.Partitions).Select(p => (p.PartitionIndex, p.Records?.Length ?? 0, p.HighWatermark))];

    /// <summary>True while a reader waits for an append to <paramref name="partition"/>: the log's signal for it exists
    /// from the first wait to the next append.</summary>
    private static bool WaitsForAnAppend(Partition partition)
    {
        System.Reflection.FieldInfo? signal = typeof(PartitionLog).GetField("_appended", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance);
        Assert.That(signal, Is.Not.Null, "PartitionLog keeps its readers' append signal in _appended");
        return signal!.GetValue(partition.Log) is not null;
    }

    [Test]
    public async Task ALongPoll_WhenTheBrokerCloses_IsAnsweredWithWhatThereIs_AndTheCloseDoesNotWaitItsMaxWait()
    {
        Topic topic = await TopicWithRecordsAsync("events", 3);
        await using KafkaWireClient client = await ConnectAsync();
        FetchRequest request = Fetch(topic, 0, -1, (0, 3));
        request.MaxWaitMs = 600_000;   // past the test's bound: only the close can end it
        Task<FetchResponse> parked = SendAsync(client, request, 16, Token);
        // Parked once the fetch waits for an append to the partition. (Another connection's answer proved nothing: the
        // connections are read independently, and under load the close came before this request was read.)
        while (!WaitsForAnAppend(topic.Partitions[0]))
        {
            Assert.That(parked.IsCompleted, Is.False, "nothing past offset 3 to answer with");
            await Task.Delay(5, Token);
        }

        // Its listener waits up to 30 s for requests in flight before aborting their connections.
        await _broker.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10), Token);

        FetchResponse response = await parked.WaitAsync(Token);
        Assert.That(Answered(response), Is.EqualTo(new[] { (0, 0L, 3L) }), "empty, as at the max wait");
    }

    [Test]
    public async Task ApiVersions_AdvertisesFetchV16()
    {
        await using KafkaWireClient client = await ConnectAsync();

        ApiVersionsResponse versions = await client.SendAsync<ApiVersionsRequest, ApiVersionsResponse>(new ApiVersionsRequest(), 3, Token);

        Assert.That(versions.ApiKeys.Single(k => k.ApiKey == ApiKey.Fetch).MaxVersion, Is.EqualTo(16));
    }

    [TestCase((short)13)]
    [TestCase((short)15)]
    [TestCase((short)16)]
    public async Task Fetch_ByTopicId_ReturnsTheRecordsUnderTheId(short version)
    {
        Topic topic = await TopicWithRecordsAsync("events", 5);
        await using KafkaWireClient client = await ConnectAsync();

        FetchResponse response = await SendAsync(client, Fetch(topic, 0, -1, (0, 0)), version, Token);

        Assert.That(response.ErrorCode, Is.EqualTo(ErrorCode.None));
        Assert.That(response.Topics.Single().TopicId, Is.EqualTo(topic.TopicId));
        FetchResponse.PartitionData data = response.Topics.Single().Partitions.Single();
        Assert.That((data.ErrorCode, data.HighWatermark), Is.EqualTo((ErrorCode.None, 5L)));
        Assert.That(data.Records!.Value.Length, Is.EqualTo(Batches.Make(0, 5).Length));
    }

    [Test]
    public async Task Fetch_UnknownTopicId_IsUnknownTopicId_AnsweredWithTheId()
    {
        Topic topic = await TopicWithRecordsAsync("events", 1);
        await _broker.DeleteTopicAsync("events");
        await TopicWithRecordsAsync("events", 1);
        await using KafkaWireClient client = await ConnectAsync();

        // The old id of a name that now belongs to another topic: never read as that topic.
        FetchResponse response = await SendAsync(client, Fetch(topic, 0, -1, (0, 0)), 16, Token);

        Assert.That(response.Topics.Single().TopicId, Is.EqualTo(topic.TopicId));
        Assert.That(response.Topics.Single().Partitions.Single().ErrorCode, Is.EqualTo(ErrorCode.UnknownTopicId));
    }

    [Test]
    public async Task Metadata_V12_GivesTopicIds_AndFindsATopicById()
    {
        Topic topic = await TopicWithRecordsAsync("events", 0, 0);
        await using KafkaWireClient client = await ConnectAsync();

        MetadataResponse all = await client.SendAsync<MetadataRequest, MetadataResponse>(new MetadataRequest { Topics = null }, 12, Token);
        MetadataResponse byId = await client.SendAsync<MetadataRequest, MetadataResponse>(
            new MetadataRequest { Topics = [new MetadataRequest.Topic { TopicId = topic.TopicId }, new MetadataRequest.Topic { TopicId = Guid.NewGuid() }] },
            12, Token);

        Assert.That(all.Topics.Single().TopicId, Is.EqualTo(topic.TopicId));
        Assert.That(byId.Topics.Select(t => (t.Name, t.ErrorCode)), Is.EqualTo(new[] { ("events", ErrorCode.None), (null, ErrorCode.UnknownTopicId) }));
        Assert.That(byId.Topics[0].Partitions, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task CreateTopicsV7_AnswersTheId_DeleteTopicsV6_DeletesById()
    {
        await using KafkaWireClient client = await ConnectAsync();

        CreateTopicsResponse created = await client.SendAsync<CreateTopicsRequest, CreateTopicsResponse>(new CreateTopicsRequest
        {
            TimeoutMs = 1000,
            Topics = [new CreateTopicsRequest.CreatableTopic { Name = "made", NumPartitions = 1, ReplicationFactor = 1 }],
        }, 7, Token);
        Guid id = created.Topics.Single().TopicId;
        Assert.That(_broker.TryGetTopic("made", out Topic? made) ? made.TopicId : Guid.Empty, Is.EqualTo(id).And.Not.EqualTo(Guid.Empty));

        DeleteTopicsResponse deleted = await client.SendAsync<DeleteTopicsRequest, DeleteTopicsResponse>(new DeleteTopicsRequest
        {
            TimeoutMs = 1000,
            Topics = [new DeleteTopicsRequest.TopicState { TopicId = id }, new DeleteTopicsRequest.TopicState { TopicId = id }],
        }, 6, Token);

        Assert.That(deleted.Responses.Select(r => (r.Name, r.TopicId, r.ErrorCode)),
            Is.EqualTo(new[] { ("made", id, ErrorCode.None), (null, id, ErrorCode.UnknownTopicId) }));
        Assert.That(_broker.TryGetTopic("made", out _), Is.False);
    }

    [Test]
    public async Task Session_FullThenIncremental_AnswersOnlyWhatChanged()
    {
        Topic topic = await TopicWithRecordsAsync("events", 5, 0);
        await using KafkaWireClient client = await ConnectAsync();

        // Full fetch asking for a session: everything answered, a session id given.
        FetchResponse full = await SendAsync(client, Fetch(topic, 0, 0, (0, 0), (1, 0)), 16, Token);
        int session = full.SessionId;
        Assert.That(session, Is.Not.Zero);
        Assert.That(Answered(full), Is.EqualTo(new[] { (0, (long)Batches.Make(0, 5).Length, 5L), (1, 0L, 0L) }));

        // Partition 0 moved on to offset 5: named alone; nothing new anywhere, so nothing answered.
        FetchResponse quiet = await SendAsync(client, Fetch(topic, session, 1, (0, 5)), 16, Token);
        Assert.That((quiet.ErrorCode, quiet.SessionId), Is.EqualTo((ErrorCode.None, session)));
        Assert.That(quiet.Topics, Is.Empty);

        // Records arrive on partition 1, which the session still fetches at offset 0: only it is answered.
        await topic.Partitions[1].AppendAsync(Batches.Batch(Batches.Make(0, 2)));
        FetchResponse changed = await SendAsync(client, Fetch(topic, session, 2), 16, Token);
        Assert.That(Answered(changed), Is.EqualTo(new[] { (1, (long)Batches.Make(0, 2).Length, 2L) }));
        Assert.That(changed.Topics.Single().TopicId, Is.EqualTo(topic.TopicId));

        // A repeated epoch (a duplicate or a stale retry) and an unknown session are refused, with nothing read.
        FetchResponse stale = await SendAsync(client, Fetch(topic, session, 2), 16, Token);
        Assert.That((stale.ErrorCode, stale.Topics.Count), Is.EqualTo((ErrorCode.InvalidFetchSessionEpoch, 0)));
        FetchResponse unknown = await SendAsync(client, Fetch(topic, session + 1, 1), 16, Token);
        Assert.That((unknown.ErrorCode, unknown.SessionId), Is.EqualTo((ErrorCode.FetchSessionIdNotFound, 0)));

        // Forgetting every partition ends the session.
        var forget = Fetch(topic, session, 3);
        forget.ForgottenTopics = [new FetchRequest.ForgottenTopic { TopicId = topic.TopicId, Partitions = [0, 1] }];
        FetchResponse ended = await SendAsync(client, forget, 16, Token);
        Assert.That((ended.ErrorCode, ended.SessionId), Is.EqualTo((ErrorCode.None, 0)));
        FetchResponse gone = await SendAsync(client, Fetch(topic, session, 4), 16, Token);
        Assert.That(gone.ErrorCode, Is.EqualTo(ErrorCode.FetchSessionIdNotFound));
    }

    [Test]
    public async Task Session_SurvivesTheConnection_AsInKafka()
    {
        Topic topic = await TopicWithRecordsAsync("events", 3);
        int session;
        await using (KafkaWireClient first = await ConnectAsync())
            session = (await SendAsync(first, Fetch(topic, 0, 0, (0, 0)), 16, Token)).SessionId;
        await topic.Partitions[0].AppendAsync(Batches.Batch(Batches.Make(3, 1)));

        await using KafkaWireClient second = await ConnectAsync();
        FetchResponse next = await SendAsync(second, Fetch(topic, session, 1, (0, 3)), 16, Token);

        Assert.That((next.ErrorCode, next.SessionId), Is.EqualTo((ErrorCode.None, session)));
        Assert.That(Answered(next), Is.EqualTo(new[] { (0, (long)Batches.Make(3, 1).Length, 4L) }));
    }

    [Test]
    public async Task Session_ByNames_V12_Works_ButAV16RequestInItIsATopicIdError()
    {
        Topic topic = await TopicWithRecordsAsync("events", 1);
        await using KafkaWireClient client = await ConnectAsync();
        int session = (await SendAsync(client, Fetch(topic, 0, 0, (0, 0)), 12, Token)).SessionId;
        Assert.That(session, Is.Not.Zero);

        FetchResponse byName = await SendAsync(client, Fetch(topic, session, 1, (0, 1)), 12, Token);
        FetchResponse byId = await SendAsync(client, Fetch(topic, session, 2), 16, Token);

        Assert.That((byName.ErrorCode, byName.Topics.Count), Is.EqualTo((ErrorCode.None, 0)));
        Assert.That(byId.ErrorCode, Is.EqualTo(ErrorCode.FetchSessionTopicIdError));
    }

    [Test]
    public async Task FullFetch_WithFinalEpoch_ClosesTheSession_AndIsSessionless()
    {
        Topic topic = await TopicWithRecordsAsync("events", 1);
        await using KafkaWireClient client = await ConnectAsync();
        int session = (await SendAsync(client, Fetch(topic, 0, 0, (0, 0)), 16, Token)).SessionId;

        FetchResponse closing = await SendAsync(client, Fetch(topic, session, -1, (0, 0)), 16, Token);
        FetchResponse after = await SendAsync(client, Fetch(topic, session, 1), 16, Token);

        Assert.That((closing.ErrorCode, closing.SessionId, closing.Topics.Count), Is.EqualTo((ErrorCode.None, 0, 1)));
        Assert.That(after.ErrorCode, Is.EqualTo(ErrorCode.FetchSessionIdNotFound));
    }

    [Test]
    public async Task CapturedConfluentFetchV16_IsServedByTopicId()
    {
        // A Fetch v16 that Confluent.Kafka 2.16 sent (testdata/kafka-wire): its topic is given the id it names, through
        // the partition.metadata files, as a store holding that topic would have it.
        WireFrame captured = WireFrames.Requests.First(f => f.Api == "Fetch" && f.ApiVersion == 16);
        var reader = new KafkaReader(new ReadOnlySequence<byte>(captured.Body));
        RequestHeader header = RequestHeader.Read(ref reader);
        FetchRequest request = FetchRequest.Read(ref reader, header.ApiVersion);
        Assert.That((request.SessionId, request.SessionEpoch), Is.EqualTo((0, -1)), "librdkafka fetches without a session");
        FetchRequest.Topic wanted = request.Topics.Single();
        int partitions = wanted.Partitions.Max(p => p.PartitionIndex) + 1;
        Topic topic = await _broker.CreateTopicAsync("captured", new TopicConfig { Partitions = partitions });
        foreach (FetchRequest.Partition p in wanted.Partitions)
            await topic.Partitions[p.PartitionIndex].AppendAsync(Batches.Batch(Batches.Make(0, (int)p.FetchOffset + 1)));
        await _broker.DisposeAsync();
        for (int p = 0; p < partitions; p++)
            PartitionMetadataFile.Write(new DiskFileSystem(), Dir.Combine($"captured-{p}"), wanted.TopicId);
        await OpenBroker();
        await using var client = new TestClient(await _transport.ConnectAsync(Token));

        await client.SendAsync(Convert.FromBase64String(captured.FrameBase64), Token);
        byte[] answer = await client.ReadResponseAsync(Token);

        FetchResponse response = ResponseDecoder.Read<FetchResponse>(new ReadOnlySequence<byte>(answer), 16, flexibleHeader: true, out int correlationId);
        Assert.That(correlationId, Is.EqualTo(captured.CorrelationId));
        Assert.That((response.ErrorCode, response.SessionId), Is.EqualTo((ErrorCode.None, 0)));
        Assert.That(response.Topics.Single().TopicId, Is.EqualTo(wanted.TopicId));
        Assert.That(response.Topics.Single().Partitions.Select(p => (p.PartitionIndex, p.ErrorCode, p.Records!.Value.Length > 0)),
            Is.EqualTo(wanted.Partitions.Select(p => (p.PartitionIndex, ErrorCode.None, true))));
    }
}
