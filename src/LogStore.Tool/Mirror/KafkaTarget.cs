using System.Globalization;
using Kafka = Confluent.Kafka;

namespace LogStore.Tool.Mirror;

/// <summary>
/// The Kafka cluster <c>mirror</c> writes to: one Confluent producer (librdkafka; idempotent, acks=all) and an
/// AdminClient sharing its connections, to find the target topic's partition count and to create the topic. librdkafka's
/// own log lines are kept from the terminal (the last error is quoted in the one-line failure instead; LOGSTORE_DEBUG=1
/// shows them all). The producer is thread-safe; the rest is used from the command's thread only.
/// </summary>
internal sealed class KafkaTarget : IDisposable
{
    // How long an admin call waits at most: a cluster that does not answer within this is reported as unreachable.
    private static readonly TimeSpan s_maxAdminWait = TimeSpan.FromSeconds(30);

    private readonly Kafka.IAdminClient _admin;
    private string? _lastError;

    private KafkaTarget(string bootstrapServers, Kafka.ProducerConfig config, Kafka.IProducer<byte[]?, byte[]?> producer)
    {
        BootstrapServers = bootstrapServers;
        Producer = producer;
        _admin = new Kafka.DependentAdminClientBuilder(producer.Handle).Build();
        // librdkafka gives up on a record after message.timeout.ms (default 300 s, 0: never); an admin call waits no longer.
        int messageTimeoutMs = config.MessageTimeoutMs ?? 300_000;
        MessageTimeout = messageTimeoutMs > 0 ? TimeSpan.FromMilliseconds(messageTimeoutMs) : Timeout.InfiniteTimeSpan;
        AdminTimeout = messageTimeoutMs > 0 && MessageTimeout < s_maxAdminWait ? MessageTimeout : s_maxAdminWait;
        ProducerSettings = $"acks={Describe(config.Acks)}, enable.idempotence={(config.EnableIdempotence ?? false ? "true" : "false")}, " +
            $"compression.type={config.CompressionType?.ToString().ToLowerInvariant() ?? "none"}";
    }

    /// <summary>The cluster's address, as given.</summary>
    public string BootstrapServers { get; }

    /// <summary>The producer records are sent with.</summary>
    public Kafka.IProducer<byte[]?, byte[]?> Producer { get; }

    /// <summary>How long librdkafka tries to deliver one record (message.timeout.ms).</summary>
    public TimeSpan MessageTimeout { get; }

    /// <summary>How long a metadata or create-topics call waits for the cluster.</summary>
    public TimeSpan AdminTimeout { get; }

    /// <summary>The producer's delivery settings, for the summary.</summary>
    public string ProducerSettings { get; }

    /// <summary>The last error librdkafka reported (a refused connection, a failed authentication), or null.</summary>
    public string? LastError => Volatile.Read(ref _lastError);

    /// <summary>
    /// Builds the producer: <c>bootstrap.servers</c> from <c>--to</c>, acks=all, idempotence, murmur2 for <c>--partitions
    /// key</c> (Kafka's Java partitioner, as LogStore's), then every <c>-X</c> property over them.
    /// </summary>
    /// <exception cref="CommandException">A property is unknown to librdkafka or has a bad value (usage error).</exception>
    public static KafkaTarget Create(string bootstrapServers, IReadOnlyList<KeyValuePair<string, string>> properties)
    {
        var config = new Kafka.ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            ClientId = "logstore-mirror",
            Acks = Kafka.Acks.All,
            EnableIdempotence = true,
            LingerMs = 5,
            Partitioner = Kafka.Partitioner.Murmur2Random,
            // A producer's metadata requests may create a missing topic (librdkafka's default for producers); the command
            // creates it itself, with the source's partition count and retention.
            AllowAutoCreateTopics = false,
            // The delivery handler needs only the outcome: librdkafka need not hand back keys, values and headers.
            DeliveryReportFields = "status",
        };
        foreach ((string name, string value) in properties)
        {
            if (name == "bootstrap.servers")
                throw CommandException.Usage("-X bootstrap.servers: give the cluster's address with --to");
            config.Set(name, value);
        }
        KafkaTarget? target = null;
        Kafka.IProducer<byte[]?, byte[]?> producer;
        try
        {
            producer = new Kafka.ProducerBuilder<byte[]?, byte[]?>(config)
                .SetErrorHandler((_, error) => target?.OnError(error.Reason))
                .SetLogHandler((_, log) => OnLog(log))
                .Build();
        }
        catch (Exception e) when (e is ArgumentException or Kafka.KafkaException or InvalidOperationException)
        {
            throw CommandException.Usage($"-X: {ErrorReport.OneLine(e.Message)}");
        }
        target = new KafkaTarget(bootstrapServers, config, producer);
        return target;
    }

    /// <summary>The partition count of <paramref name="topic"/> on the cluster, or null when it has no such topic.</summary>
    /// <exception cref="CommandException">The cluster did not answer within <see cref="AdminTimeout"/>.</exception>
    public int? FindPartitionCount(string topic)
    {
        Kafka.Metadata metadata;
        try
        {
            // This topic's metadata, which allow.auto.create.topics=false keeps from creating it on a cluster with
            // auto.create.topics.enable (and its default partition count).
            metadata = _admin.GetMetadata(topic, AdminTimeout);
        }
        catch (Kafka.KafkaException e)
        {
            throw Unreachable(e.Error.Reason);
        }
        foreach (Kafka.TopicMetadata found in metadata.Topics)
        {
            if (found.Topic != topic)
                continue;
            if (found.Error.Code == Kafka.ErrorCode.UnknownTopicOrPart)
                return null;
            if (found.Error.IsError)
                throw new CommandException($"cannot describe topic '{topic}' on {BootstrapServers}: {found.Error.Reason}");
            return found.Partitions.Count;
        }
        return null;
    }

    /// <summary>Creates <paramref name="topic"/>; false when it was created meanwhile by someone else.</summary>
    /// <exception cref="CommandException">The cluster refused (the replication factor, a config, authorization) or did not answer.</exception>
    public async Task<bool> CreateTopicAsync(string topic, int partitions, short? replicationFactor,
        IReadOnlyDictionary<string, string> configs, CancellationToken cancellationToken)
    {
        var specification = new Kafka.Admin.TopicSpecification
        {
            Name = topic,
            NumPartitions = partitions,
            // -1: the cluster's default.replication.factor (CreateTopics v4 and later).
            ReplicationFactor = replicationFactor ?? -1,
            Configs = new Dictionary<string, string>(configs),
        };
        var options = new Kafka.Admin.CreateTopicsOptions { RequestTimeout = AdminTimeout, OperationTimeout = AdminTimeout };
        try
        {
            await _admin.CreateTopicsAsync([specification], options).WaitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Kafka.Admin.CreateTopicsException e) when (e.Results[0].Error.Code == Kafka.ErrorCode.TopicAlreadyExists)
        {
            return false;
        }
        catch (Kafka.Admin.CreateTopicsException e)
        {
            throw new CommandException($"cannot create topic '{topic}' on {BootstrapServers}: {e.Results[0].Error.Reason}");
        }
        catch (Kafka.KafkaException e)
        {
            throw Unreachable(e.Error.Reason);
        }
    }

    /// <summary>The failure for a cluster that did not answer: where, how long, and librdkafka's last word on it.</summary>
    public CommandException Unreachable(string reason)
    {
        string ms = AdminTimeout.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture);
        string detail = LastError is string last && last != reason ? $"{reason} ({last})" : reason;
        return new CommandException($"cannot reach the Kafka cluster at {BootstrapServers} within {ms} ms: {detail}");
    }

    public void Dispose()
    {
        _admin.Dispose();
        Producer.Dispose();
    }

    private void OnError(string reason) => Volatile.Write(ref _lastError, reason);

    private static void OnLog(Kafka.LogMessage log)
    {
        // librdkafka logs from its own threads; the command's writers are not thread-safe, so debug lines go to the
        // process's own standard error.
        if (Environment.GetEnvironmentVariable("LOGSTORE_DEBUG") is "1" or "true")
            Console.Error.WriteLine($"librdkafka {log.Level} {log.Facility}: {log.Message}");
    }

    private static string Describe(Kafka.Acks? acks) => acks switch
    {
        Kafka.Acks.None => "0",
        Kafka.Acks.Leader => "1",
        _ => "all",
    };
}
