using System.Diagnostics;
using Spectre.Console;

namespace LogStore.Tool.Bench;

/// <summary>
/// Runs <c>bench</c> on a scratch topic: produce <see cref="BenchSettings.Records"/> keyless records through a producer
/// (timed until the last one is appended and fsynced), then consume them all from the beginning through a consumer
/// (timed until the last one is returned), each with a live progress bar. The topic is deleted afterwards unless kept.
/// </summary>
internal static class BenchRunner
{
    private const int ProgressEvery = 4096;
    private static readonly TimeSpan s_stallTimeout = TimeSpan.FromSeconds(30);

    public static async Task<IReadOnlyList<BenchPhase>> RunAsync(Broker broker, BenchSettings settings, IAnsiConsole progress,
        CancellationToken cancellationToken)
    {
        string name = "logstore-bench-" + Guid.NewGuid().ToString("N")[..12];
        Topic topic = await broker.CreateTopicAsync(name, new TopicConfig { Partitions = settings.Partitions, RetentionTime = null },
            cancellationToken).ConfigureAwait(false);
        try
        {
            BenchPhase? produced = null;
            BenchPhase? consumed = null;
            await progress.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
                .StartAsync(async context =>
                {
                    ProgressTask produceTask = context.AddTask("produce", maxValue: settings.Records);
                    ProgressTask consumeTask = context.AddTask("consume", autoStart: false, maxValue: settings.Records);
                    produced = await ProduceAsync(broker, topic, settings, produceTask, cancellationToken).ConfigureAwait(false);
                    consumeTask.StartTask();
                    consumed = await ConsumeAsync(broker, topic, settings, consumeTask, cancellationToken).ConfigureAwait(false);
                }).ConfigureAwait(false);
            return [produced!, consumed!];
        }
        finally
        {
            if (!settings.Keep)
                await broker.DeleteTopicAsync(name, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static async Task<BenchPhase> ProduceAsync(Broker broker, Topic topic, BenchSettings settings, ProgressTask task,
        CancellationToken cancellationToken)
    {
        // One message object and one value for every record: the producer copies the bytes into its batch as it
        // produces, so the loop measures the log, not the allocator.
        var message = new Message<Null, byte[]> { Value = Payload(settings.ValueSize) };
        long started = Stopwatch.GetTimestamp();
        await using (IProducer<Null, byte[]> producer = broker.CreateProducer<Null, byte[]>(new ProducerOptions { Compression = settings.Compression }))
        {
            for (long i = 1; i <= settings.Records; i++)
            {
                producer.Produce(topic.Name, message);
                if (i % ProgressEvery == 0)
                {
                    task.Value = i;
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }
            await producer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        foreach (Partition partition in topic.Partitions)
            await partition.FlushAsync(cancellationToken).ConfigureAwait(false);
        TimeSpan elapsed = Stopwatch.GetElapsedTime(started);
        long appended = topic.Partitions.Sum(p => p.LogEndOffset - p.LogStartOffset);
        if (appended != settings.Records)
            throw new CommandException($"only {appended} of {settings.Records} records were appended");
        task.Value = settings.Records;
        task.StopTask();
        return new BenchPhase("produce", settings.Records, settings.Records * settings.ValueSize, elapsed);
    }

    private static async Task<BenchPhase> ConsumeAsync(Broker broker, Topic topic, BenchSettings settings, ProgressTask task,
        CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        long records = 0;
        long bytes = 0;
        await using (IConsumer<Null, int> consumer = broker.CreateConsumer(new ConsumerOptions(), Deserializers.Null, ValueLength.Instance))
        {
            consumer.Assign(topic.Partitions.Select(p => new TopicPartitionOffset(p.Id, Offset.Beginning)));
            while (records < settings.Records)
            {
                ConsumeResult<Null, int> result = await consumer.ConsumeAsync(s_stallTimeout, cancellationToken).ConfigureAwait(false)
                    ?? throw new CommandException($"consuming stalled after {records} of {settings.Records} records");
                records++;
                bytes += result.Message.Value;
                if (records % ProgressEvery == 0)
                    task.Value = records;
            }
        }
        TimeSpan elapsed = Stopwatch.GetElapsedTime(started);
        task.Value = records;
        task.StopTask();
        return new BenchPhase("consume", records, bytes, elapsed);
    }

    /// <summary>Letters drawn from a fixed seed: the same bytes every run, and compressible about as much as text is.</summary>
    private static byte[] Payload(int size)
    {
        var random = new Random(42);
        byte[] value = new byte[size];
        for (int i = 0; i < value.Length; i++)
            value[i] = (byte)('a' + random.Next(26));
        return value;
    }

    /// <summary>Reads only a value's length: the consumer still decodes every record, but nothing is copied.</summary>
    private sealed class ValueLength : IDeserializer<int>
    {
        public static readonly ValueLength Instance = new();

        public int Deserialize(ReadOnlySpan<byte> data, bool isNull) => isNull ? 0 : data.Length;
    }
}
