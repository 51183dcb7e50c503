using System.Diagnostics;
using System.Globalization;
using System.Net;
using Kafka = Confluent.Kafka;

namespace LogStore.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/LogStore.Benchmarks -- kafka-listener [records] [valueBytes] [rounds] [producers]</c>:
/// a Confluent.Kafka producer (acks=all, linger 5 ms, a new message per record) into LogStore's listener and into
/// librdkafka's in-memory mock cluster (the client's ceiling on this machine), then a Confluent consumer reading the
/// partition back from the listener, beside LogStore's in-process producer and consumer; interleaved, after
/// <see cref="WarmupRounds"/> warm-up rounds, median of the rounds (with <c>producers</c>, the two Confluent producer
/// rows only). The listener's store writes to disk (a temp directory).
/// </summary>
internal static class KafkaListenerBenchmark
{
    /// <summary>A timed phase: records per second, and the process's CPU time per record (client and server share
    /// the process and the machine's cores, so CPU per record says who pays for what), split by thread where the
    /// system says (<see cref="ThreadCpu"/>).</summary>
    private readonly record struct Rate(double PerSecond, double CpuMicrosPerRecord, ThreadCpu.Split Split = default);

    /// <summary>Times <paramref name="records"/> records from now until <see cref="Stop"/>.</summary>
    private readonly struct Clock(long start, TimeSpan cpu, ThreadCpu.Split threads)
    {
        public static Clock Start() => new(Stopwatch.GetTimestamp(), Process.GetCurrentProcess().TotalProcessorTime, ThreadCpu.Read());

        public Rate Stop(int records) => new(records / Stopwatch.GetElapsedTime(start).TotalSeconds,
            (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / records,
            (ThreadCpu.Read() - threads) / records);

        public TimeSpan Elapsed => Stopwatch.GetElapsedTime(start);
    }

    /// <summary>With one warm-up round the JIT still compiled through the first measured round, on the two cores the
    /// client and the broker share (RESULTS.md, 2026-12-07).</summary>
    private const int WarmupRounds = 3;

    public static int Run(string[] args)
    {
        int records = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
        int valueBytes = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100;
        int rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        // "producers": only the two Confluent producer rows (for a profile of the listener's write path).
        bool producersOnly = args.Length > 3 && args[3] == "producers";
        byte[] value = new byte[valueBytes];
        Random.Shared.NextBytes(value);
        var results = new Dictionary<string, List<Rate>>();
        for (int round = 1 - WarmupRounds; round <= rounds; round++)
        {
            bool warmUp = round <= 0;
            using (MockCluster mock = MockCluster.Start())
            {
                Record(results, warmUp, "Confluent producer → mock cluster", Produce(ProducerConfig(mock.Bootstrap), records, value));
                if (!producersOnly)
                    Record(results, warmUp, "Confluent consumer ← mock cluster", Consume(mock.Bootstrap));
            }
            string dir = Path.Combine(Path.GetTempPath(), "logstore-listener-bench-" + Guid.NewGuid().ToString("N"));
            try
            {
                long opening = Stopwatch.GetTimestamp();
                using Broker broker = OpenBroker(dir);
                AnswerApiVersions(broker.KafkaEndpoint!);
                double firstAnswerMs = Stopwatch.GetElapsedTime(opening).TotalMilliseconds;
                Console.Error.WriteLine($"{(warmUp ? "warm-up " : "")}open to first answer: {firstAnswerMs:F1} ms");
                if (!warmUp)
                    (results.TryGetValue(FirstAnswer, out List<Rate>? list) ? list : results[FirstAnswer] = []).Add(new Rate(firstAnswerMs, 0));
                string bootstrap = broker.KafkaEndpoint!.ToString();
                Record(results, warmUp, "Confluent producer → LogStore listener", Produce(ProducerConfig(bootstrap), records, value));
                if (producersOnly)
                    continue;
                Record(results, warmUp, "Confluent consumer ← LogStore listener", Consume(bootstrap));
                Record(results, warmUp, "LogStore in-process producer", ProduceInProcess(broker, records, value).GetAwaiter().GetResult());
                Record(results, warmUp, "LogStore in-process consumer", ConsumeInProcess(broker, records).GetAwaiter().GetResult());
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        Console.WriteLine($"| workload ({records:N0} records of {valueBytes} B, median of {rounds} rounds after {WarmupRounds} warm-ups) | records/s | MB/s | process CPU per record | {ThreadCpu.Split.Header} |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach ((string name, List<Rate> rates) in results)
        {
            if (name == FirstAnswer)
                continue;
            Rate median = Median(rates);
            Console.WriteLine($"| {name} | {median.PerSecond / 1e6:F2} M/s | {median.PerSecond * valueBytes / 1e6:F0} | {median.CpuMicrosPerRecord:F2} µs | {median.Split} |");
        }
        Console.WriteLine(producersOnly
            ? $"listener / mock cluster, producer: {Ratio(results, "producer"):F2}x"
            : $"listener / mock cluster, producer: {Ratio(results, "producer"):F2}x, consumer: {Ratio(results, "consumer"):F2}x");
        Console.WriteLine($"Broker.OpenAsync with a listener to its first ApiVersions answer (warm process): {Median(results[FirstAnswer]).PerSecond:F1} ms");
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

    private static Rate Median(List<Rate> rates) => rates.OrderBy(r => r.PerSecond).ElementAt(rates.Count / 2);

    /// <summary>The ratio of the medians, listener over mock cluster, of the Confluent <paramref name="client"/>.</summary>
    private static double Ratio(Dictionary<string, List<Rate>> results, string client) =>
        Median(results[$"Confluent {client} {(client == "producer" ? "→" : "←")} LogStore listener"]).PerSecond
        / Median(results[$"Confluent {client} {(client == "producer" ? "→" : "←")} mock cluster"]).PerSecond;

    private static void Record(Dictionary<string, List<Rate>> results, bool warmUp, string name, Rate rate)
    {
        Console.Error.WriteLine($"{(warmUp ? "warm-up " : "")}{name}: {rate.PerSecond / 1e6:F2} M records/s, {rate.CpuMicrosPerRecord:F2} µs CPU per record ({rate.Split})");
        if (!warmUp)
            (results.TryGetValue(name, out List<Rate>? list) ? list : results[name] = []).Add(rate);
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

    private static Rate Produce(Kafka.ProducerConfig config, int records, byte[] value)
    {
        using var producer = new Kafka.ProducerBuilder<Kafka.Null, byte[]>(config).Build();
        var partition = new Kafka.TopicPartition("bench", 0);
        // The topic is created (auto-created on the listener) before the clock starts.
        producer.ProduceAsync(partition, new Kafka.Message<Kafka.Null, byte[]> { Value = value }).GetAwaiter().GetResult();
        long failed = 0;
        Action<Kafka.DeliveryReport<Kafka.Null, byte[]>> report = r => { if (r.Error.IsError) Interlocked.Increment(ref failed); };
        Clock clock = Clock.Start();
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
        Rate rate = clock.Stop(records);
        if (Interlocked.Read(ref failed) > 0)
            throw new InvalidOperationException($"{failed} deliveries failed.");
        return rate;
    }

    /// <summary>Reads partition 0 of "bench" from its first record to its end; the mock cluster keeps only the log's
    /// tail, so the rate is of what it kept.</summary>
    private static Rate Consume(string bootstrap)
    {
        using var consumer = new Kafka.ConsumerBuilder<Kafka.Ignore, byte[]>(new Kafka.ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "bench",
            EnableAutoCommit = false,
            IsolationLevel = Kafka.IsolationLevel.ReadUncommitted,
            // librdkafka stops fetching for fetch.queue.backoff.ms (default 1 s) whenever its local queue passes
            // queued.min.messages; a broker that answers faster than the application consumes fills it in tens of
            // milliseconds, and the 1 s pauses, not the broker, then set the rate (its documentation advises lowering it).
            FetchQueueBackoffMs = 10,
        }).Build();
        var partition = new Kafka.TopicPartition("bench", 0);
        long end = consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(30)).High.Value;
        consumer.Assign(new Kafka.TopicPartitionOffset(partition, Kafka.Offset.Beginning));
        // The clock starts at the first record: connecting, metadata and the offset lookup are the client's start-up,
        // not the read rate. Then up to the end; bounded by a deadline.
        long deadline = Stopwatch.GetTimestamp();
        Kafka.ConsumeResult<Kafka.Ignore, byte[]>? first;
        while ((first = consumer.Consume(TimeSpan.FromSeconds(1))) is null)
        {
            if (Stopwatch.GetElapsedTime(deadline) > TimeSpan.FromMinutes(1))
                throw new InvalidOperationException("The consumer read nothing in a minute.");
        }
        Clock clock = Clock.Start();
        int read = 0;
        long next = first.Offset.Value + 1;
        while (next < end && clock.Elapsed < TimeSpan.FromMinutes(5))
        {
            if (consumer.Consume(TimeSpan.FromSeconds(1)) is { } result)
            {
                read++;
                next = result.Offset.Value + 1;
            }
        }
        return clock.Stop(read);
    }

    private static async Task<Rate> ProduceInProcess(Broker broker, int records, byte[] value)
    {
        await broker.Inner.GetOrCreateTopicAsync("inproc");
        await using IProducer<Null, byte[]> producer = broker.Inner.CreateProducer<Null, byte[]>(new ProducerOptions { Acks = Acks.All, Linger = TimeSpan.FromMilliseconds(5) });
        var partition = new TopicPartition("inproc", 0);
        Clock clock = Clock.Start();
        for (int i = 0; i < records; i++)
            producer.Produce(partition, new Message<Null, byte[]> { Value = value });
        await producer.FlushAsync();
        return clock.Stop(records);
    }

    private static async Task<Rate> ConsumeInProcess(Broker broker, int records)
    {
        await using IConsumer<Null, byte[]> consumer = broker.Inner.CreateConsumer<Null, byte[]>(new ConsumerOptions());
        consumer.Assign([new TopicPartitionOffset(new TopicPartition("inproc", 0), Offset.Beginning)]);
        Clock clock = Clock.Start();
        int read = 0;
        while (read < records && await consumer.ConsumeAsync(TimeSpan.FromSeconds(5)) is not null)
            read++;
        return clock.Stop(read);
    }

    /// <summary>
    /// librdkafka's in-memory mock cluster, kept alive by an idle client that enables it
    /// (<c>test.mock.num.brokers</c>), so that a producer and then a consumer can both use it; its bootstrap address is
    /// read from the line librdkafka logs when it starts.
    /// </summary>
    private sealed class MockCluster : IDisposable
    {
        private readonly Kafka.IProducer<Kafka.Null, byte[]> _owner;

        private MockCluster(Kafka.IProducer<Kafka.Null, byte[]> owner, string bootstrap)
        {
            _owner = owner;
            Bootstrap = bootstrap;
        }

        public string Bootstrap { get; }

        public static MockCluster Start()
        {
            var announced = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            var config = new Kafka.ProducerConfig { BootstrapServers = "unused:9092" };
            config.Set("test.mock.num.brokers", "1");
            Kafka.IProducer<Kafka.Null, byte[]> owner = new Kafka.ProducerBuilder<Kafka.Null, byte[]>(config)
                .SetLogHandler((_, log) =>
                {
                    const string Marker = "replaced with ";
                    int at = log.Message.IndexOf(Marker, StringComparison.Ordinal);
                    if (log.Facility == "MOCK" && at >= 0)
                        announced.TrySetResult(log.Message[(at + Marker.Length)..].Trim());
                })
                .Build();
            if (!announced.Task.Wait(TimeSpan.FromSeconds(30)))
            {
                owner.Dispose();
                throw new InvalidOperationException("librdkafka's mock cluster did not say where it listens.");
            }
            return new MockCluster(owner, announced.Task.Result);
        }

        public void Dispose() => _owner.Dispose();
    }
}
