using System.CommandLine;
using System.Diagnostics;
using System.Globalization;

namespace LogStore.Tool.Commands;

/// <summary>
/// <c>logstore produce</c>: kafka-console-producer. One record per line of standard input (an empty line is an empty
/// value), the key split off with <c>--key-separator</c>; at the end everything is appended and fsynced, so the
/// records survive a crash once the command has returned.
/// </summary>
internal static class ProduceCommand
{
    public static Command Create(CliContext cli)
    {
        Option<string> data = CommonOptions.Data();
        Option<string> topic = CommonOptions.Topic(description: "The topic to produce to.");
        var keySeparator = new Option<string?>("--key-separator")
        {
            Description = "Split each line at the first occurrence of this text into key and value (Kafka's parse.key=true with key.separator). Without it, records have no key.",
            HelpName = "TEXT",
        };
        keySeparator.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is "")
                result.AddError("--key-separator must not be empty.");
        });
        var compression = new Option<CompressionType>("--compression")
        {
            Description = "Compression of the batches (compression.type).",
            DefaultValueFactory = _ => CompressionType.None,
        };
        var command = new Command("produce", "Produce one record per line of standard input (kafka-console-producer).")
        {
            data, topic, keySeparator, compression,
        };
        command.SetAction((parsed, ct) => RunAsync(cli, parsed.GetRequiredValue(data), parsed.GetRequiredValue(topic),
            parsed.GetValue(keySeparator), parsed.GetValue(compression), ct));
        return command;
    }

    private static async Task<int> RunAsync(CliContext cli, string dataDirectory, string topicName, string? separator,
        CompressionType compression, CancellationToken cancellationToken)
    {
        await using Broker broker = await BrokerSession.OpenAsync(dataDirectory, create: false, cancellationToken).ConfigureAwait(false);
        Topic topic = BrokerSession.GetTopic(broker, topicName);
        long started = Stopwatch.GetTimestamp();
        var deliveries = new DeliveryCounter();
        Action<DeliveryReport> onDelivery = deliveries.OnDelivery;
        long produced = 0;
        await using (IProducer<string?, string> producer = broker.CreateProducer<string?, string>(new ProducerOptions { Compression = compression }))
        {
            try
            {
                int lineNumber = 0;
                while (await cli.In.ReadLineAsync(cancellationToken).ConfigureAwait(false) is string line)
                {
                    lineNumber++;
                    string? key = null;
                    string value = line;
                    if (separator is not null)
                    {
                        int at = line.IndexOf(separator, StringComparison.Ordinal);
                        if (at < 0)
                        {
                            throw new CommandException(string.Create(CultureInfo.InvariantCulture,
                                $"line {lineNumber} has no key separator '{separator}'; the {produced} record(s) before it were produced"));
                        }
                        key = line[..at];
                        value = line[(at + separator.Length)..];
                    }
                    producer.Produce(topic.Name, new Message<string?, string> { Key = key, Value = value }, onDelivery);
                    produced++;
                }
            }
            finally
            {
                // Even after a bad line, what was produced before it is appended and made durable.
                await producer.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                foreach (Partition partition in topic.Partitions)
                    await partition.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        if (deliveries.Failed > 0)
        {
            throw new CommandException(string.Create(CultureInfo.InvariantCulture,
                $"{deliveries.Failed} of {produced} record(s) were not produced: {deliveries.FirstError?.Message}"));
        }
        await cli.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Produced {produced} record(s) to topic {topic.Name} in {seconds:0.###} s; flushed to disk.")).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>Counts failed deliveries; called from the producer's sender thread.</summary>
    private sealed class DeliveryCounter
    {
        private long _failed;
        private Exception? _firstError;

        public long Failed => Interlocked.Read(ref _failed);

        public Exception? FirstError => Volatile.Read(ref _firstError);

        public void OnDelivery(DeliveryReport report)
        {
            if (report.Error is not null)
            {
                Interlocked.CompareExchange(ref _firstError, report.Error, null);
                Interlocked.Increment(ref _failed);
            }
        }
    }
}
