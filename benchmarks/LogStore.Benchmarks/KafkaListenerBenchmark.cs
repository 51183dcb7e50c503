using System.Diagnostics;
using System.Globalization;
using System.Net;
using Kafka = Confluent.Kafka;

namespace LogStore.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/LogStore.Benchmarks -- kafka-listener [records] [valueBytes] [rounds]</c>:
/// a Confluent.Kafka producer (acks=all, linger 5 ms, a new message per record) into LogStore's listener and into
/// librdkafka's in-memory mock cluster (the client's ceiling on this machine), then a Confluent consumer reading the
/// partition back from the listener, beside LogStore's in-process producer and consumer; interleaved, after a warm-up
/// round, median of the rounds. The listener's store writes to disk (a temp directory).
/// </summary>
internal static class KafkaListenerBenchmark
{
    public static int Run(string[] args)
    {
        int records = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
        int valueBytes = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100;
        int rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        byte[] value = new byte[valueBytes];
        Random.Shared.NextBytes(value);
        var results = new Dictionary<string, List<double>>();
        for (int round = 0; round <= rounds; round++)
        {
            bool warmUp = round == 0;
            Record(results, warmUp, "Confluent producer → mock cluster", ProduceToMock(records, value));
            string dir = Path.Combine(Path.GetTempPath(), "logstore-listener-bench-" + Guid.NewGuid().ToString("N"));
            try
            {
                long opening = Stopwatch.GetTimestamp();
                using Broker broker = OpenBroker(dir);
                AnswerApiVersions(broker.KafkaEndpoint!);
                double firstAnswerMs = Stopwatch.GetElapsedTime(opening).TotalMilliseconds;
                Console.Error.WriteLine($"{(warmUp ? "warm-up " : "")}open to first answer: {firstAnswerMs:F1} ms");
                if (!warmUp)
                    (results.TryGetValue(FirstAnswer, out List<double>? list) ? list : results[FirstAnswer] = []).Add(firstAnswerMs);
                string bootstrap = broker.KafkaEndpoint!.ToString();
                Record(results, warmUp, "Confluent producer → LogStore listener", ProduceToListener(bootstrap, records, value));
                Record(results, warmUp, "Confluent consumer ← LogStore listener", ConsumeFromListener(bootstrap, records));
                Record(results, warmUp, "LogStore in-process producer", ProduceInProcess(broker, records, value).GetAwaiter().GetResult());
                Record(results, warmUp, "LogStore in-process consumer", ConsumeInProcess(broker, records).GetAwaiter().GetResult());
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        Console.WriteLine($"| workload ({records:N0} records of {valueBytes} B, median of {rounds} rounds) | records/s | MB/s |");
        Console.WriteLine("|---|---|---|");
        foreach ((string name, List<double> rates) in results)
        {
            if (name == FirstAnswer)
                continue;
            double median = rates.Order().ElementAt(rates.Count / 2);
            Console.WriteLine($"| {name} | {median / 1e6:F2} M/s | {median * valueBytes / 1e6:F0} |");
        }
        double ratio = Median(results["Confluent producer → LogStore listener"]) / Median(results["Confluent producer → mock cluster"]);
        Console.WriteLine($"listener / mock cluster, producer: {ratio:F2}x");
        Console.WriteLine($"Broker.OpenAsync with a listener to its first ApiVersions answer (warm process): {Median(results[FirstAnswer]):F1} ms");
        return 0;
    }

    private const string FirstAnswer = "open to first answer (ms)";

    /// <summary>Sends ApiVersions v0 on a new connection and reads the whole answer.</summary>
    private static void AnswerApiVersions(IPEndPoint endpoint)
    {
        using var client = new System.Net.Sockets.TcpClient();
        client.Connect(endpoint);
        using System.Net.Sockets.NetworkStream stream = client.GetStream();
        // size 10; api key 18, version 0, correlation id 1, null client id.
        stream.Write([0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 1, 0xFF, 0xFF]);
        Span<byte> size = stackalloc byte[4];
        stream.ReadExactly(size);
        byte[] body = new byte[System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(size)];
        stream.ReadExactly(body);
    }

    private static double Median(List<double> rates) => rates.Order().ElementAt(rates.Count / 2);

    private static void Record(Dictionary<string, List<double>> results, bool warmUp, string name, double rate)
    {
        Console.Error.WriteLine($"{(warmUp ? "warm-up " : "")}{name}: {rate / 1e6:F2} M records/s");
        if (!warmUp)
            (results.TryGetValue(name, out List<double>? list) ? list : results[name] = []).Add(rate);
    }

    private sealed class Broker(LogStore.Broker broker) : IDisposable
    {
        public LogStore.Broker Inner { get; } = broker;

        public IPEndPoint? KafkaEndpoint => Inner.KafkaEndpoint;

        public void Dispose() => Inner.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private static Broker OpenBroker(string dir) => new(LogStore.Broker.OpenAsync(new BrokerOptions
    {
        DataDirectory = dir,
        KafkaListener = new KafkaListenerOptions { Endpoint = new IPEndPoint(IPAddress.Loopback, 0) },
    }).AsTask().GetAwaiter().GetResult());

    private static Kafka.ProducerConfig ProducerConfig(string? bootstrap) => new()
    {
        BootstrapServers = bootstrap,
        Acks = Kafka.Acks.All,
        LingerMs = 5,
        QueueBufferingMaxMessages = 1_000_000,
    };

    private static double ProduceToMock(int records, byte[] value)
    {
        Kafka.ProducerConfig config = ProducerConfig(null);
        config.Set("test.mock.num.brokers", "1");
        return Produce(config, records, value);
    }

    private static double ProduceToListener(string bootstrap, int records, byte[] value) => Produce(ProducerConfig(bootstrap), records, value);

    private static double Produce(Kafka.ProducerConfig config, int records, byte[] value)
    {
        using var producer = new Kafka.ProducerBuilder<Kafka.Null, byte[]>(config).Build();
        var partition = new Kafka.TopicPartition("bench", 0);
        // The topic is created (auto-created on the listener) before the clock starts.
        producer.ProduceAsync(partition, new Kafka.Message<Kafka.Null, byte[]> { Value = value }).GetAwaiter().GetResult();
        long failed = 0;
        Action<Kafka.DeliveryReport<Kafka.Null, byte[]>> report = r => { if (r.Error.IsError) Interlocked.Increment(ref failed); };
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < records; i++)
        {
            while (true)
            {
                try
                {
                    producer.Produce(partition, new Kafka.Message<Kafka.Null, byte[]> { Value = value }, report);
                    break;
                }
                catch (Kafka.ProduceException<Kafka.Null, byte[]> e) when (e.Error.Code == Kafka.ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(1));
                }
            }
        }
        producer.Flush(TimeSpan.FromMinutes(5));
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        if (Interlocked.Read(ref failed) > 0)
            throw new InvalidOperationException($"{failed} deliveries failed.");
        return records / seconds;
    }

    private static double ConsumeFromListener(string bootstrap, int records)
    {
        using var consumer = new Kafka.ConsumerBuilder<Kafka.Ignore, byte[]>(new Kafka.ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "bench",
            EnableAutoCommit = false,
        }).Build();
        consumer.Assign(new Kafka.TopicPartitionOffset("bench", 0, Kafka.Offset.Beginning));
        // The clock starts at the first record: connecting, metadata and the offset lookup are the client's start-up,
        // not the read rate. Then the producer's measured records; bounded by a deadline.
        long deadline = Stopwatch.GetTimestamp();
        while (consumer.Consume(TimeSpan.FromSeconds(1))?.Message is null)
        {
            if (Stopwatch.GetElapsedTime(deadline) > TimeSpan.FromMinutes(1))
                throw new InvalidOperationException("The consumer read nothing in a minute.");
        }
        long start = Stopwatch.GetTimestamp();
        int read = 0;
        while (read < records && Stopwatch.GetElapsedTime(start) < TimeSpan.FromMinutes(5))
        {
            if (consumer.Consume(TimeSpan.FromSeconds(1))?.Message is not null)
                read++;
        }
        return read / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static async Task<double> ProduceInProcess(Broker broker, int records, byte[] value)
    {
        await broker.Inner.GetOrCreateTopicAsync("inproc");
        await using IProducer<Null, byte[]> producer = broker.Inner.CreateProducer<Null, byte[]>(new ProducerOptions { Acks = Acks.All, Linger = TimeSpan.FromMilliseconds(5) });
        var partition = new TopicPartition("inproc", 0);
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < records; i++)
            producer.Produce(partition, new Message<Null, byte[]> { Value = value });
        await producer.FlushAsync();
        return records / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static async Task<double> ConsumeInProcess(Broker broker, int records)
    {
        await using IConsumer<Null, byte[]> consumer = broker.Inner.CreateConsumer<Null, byte[]>(new ConsumerOptions());
        consumer.Assign([new TopicPartitionOffset(new TopicPartition("inproc", 0), Offset.Beginning)]);
        long start = Stopwatch.GetTimestamp();
        int read = 0;
        while (read < records && await consumer.ConsumeAsync(TimeSpan.FromSeconds(5)) is not null)
            read++;
        return read / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}
