using System.Buffers;
using BenchmarkDotNet.Attributes;
using LogStore.Protocol;
using Microsoft.Win32.SafeHandles;

namespace LogStore.Benchmarks;

/// <summary>
/// The Kafka protocol codec's cost per request (issue 14), apart from the network and the log: decoding a Produce v9
/// request as librdkafka sends it (one topic, <see cref="Partitions"/> partitions of one 16 KiB batch each), and
/// encoding the Produce response and a Fetch v12 response whose records are file regions (zero-copy: only their
/// lengths are written). The records themselves are never parsed here, so MB/s is the bytes a request carries.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class ProtocolBenchmarks
{
    private const int BatchBytes = 16 * 1024;

    private ReadOnlySequence<byte> _produceFrame;
    private ProduceResponse _produceResponse = new();
    private FetchResponse _fetchResponse = new();
    private readonly RequestHeader _produceHeader = new() { ApiKey = ApiKey.Produce, ApiVersion = 9, CorrelationId = 1, ClientId = "rdkafka" };
    private readonly RequestHeader _fetchHeader = new() { ApiKey = ApiKey.Fetch, ApiVersion = 12, CorrelationId = 2, ClientId = "rdkafka" };

    [Params(1, 8)]
    public int Partitions { get; set; } = 1;

    public static WorkPerOperation DescribeWork(string method, int recordSize) => new(0, 0, 1);

    [GlobalSetup]
    public void GlobalSetup()
    {
        byte[] batch = new byte[BatchBytes];
        new Random(42).NextBytes(batch);
        var request = new ProduceRequest { Acks = -1, TimeoutMs = 30_000, Topics = [new() { Name = "bench" }] };
        _produceResponse = new ProduceResponse { Topics = [new() { Name = "bench" }] };
        var fetchTopic = new FetchResponse.TopicResponse { Name = "bench" };
        var file = new SafeFileHandle(IntPtr.Zero, ownsHandle: false);
        for (int p = 0; p < Partitions; p++)
        {
            request.Topics[0].Partitions.Add(new() { Index = p, Records = new ReadOnlySequence<byte>(batch) });
            _produceResponse.Topics[0].Partitions.Add(new() { Index = p, BaseOffset = 1000 * p });
            fetchTopic.Partitions.Add(new() { PartitionIndex = p, HighWatermark = 1_000_000, RecordsFile = new FileRegion(file, p * BatchBytes, BatchBytes, null) });
        }
        _fetchResponse = new FetchResponse { Topics = [fetchTopic] };

        var output = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(output);
        _produceHeader.Write(ref writer);
        request.Write(ref writer, 9);
        _produceFrame = new ReadOnlySequence<byte>(output.WrittenMemory);
    }

    [Benchmark(Baseline = true)]
    public int DecodeProduceRequest()
    {
        DecodedRequest decoded = RequestDecoder.TryDecode(_produceFrame);
        return ((ProduceRequest)decoded.Body!).Topics[0].Partitions.Count;
    }

    [Benchmark]
    public long EncodeProduceResponse()
    {
        using ResponseFrame frame = ResponseEncoder.Encode(_produceHeader, _produceResponse);
        return frame.Length;
    }

    [Benchmark]
    public long EncodeFetchResponse()
    {
        using ResponseFrame frame = ResponseEncoder.Encode(_fetchHeader, _fetchResponse);
        return frame.Length;
    }
}
