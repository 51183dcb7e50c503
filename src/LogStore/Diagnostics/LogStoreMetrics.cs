using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using LogStore.Storage;

namespace LogStore.Diagnostics;

/// <summary>
/// LogStore's one <see cref="Meter"/>, named <c>"LogStore"</c>, for operators (OpenTelemetry instrument names; every
/// measurement is tagged <c>logstore.topic</c> and <c>logstore.partition</c>):
/// <list type="table">
/// <item><term><c>logstore.segments.deleted</c></term><description>Counter of segments deleted, tagged
/// <c>logstore.reason</c>: <c>retention.time</c>, <c>retention.size</c>, <c>log_start_offset</c> (DeleteRecords) or
/// <c>compaction</c> (replaced by the cleaner).</description></item>
/// <item><term><c>logstore.bytes.reclaimed</c></term><description>Counter of bytes of deleted segments, less the bytes of
/// the cleaned segments that replaced them, by the same reasons.</description></item>
/// <item><term><c>logstore.cleaner.runs</c></term><description>Counter of compactions that rewrote a partition.</description></item>
/// <item><term><c>logstore.corruption.detected</c></term><description>Counter of damaged data found, tagged
/// <c>logstore.reason</c>: <c>open</c> (a segment damaged below the recovery point, or durable records missing, found
/// when the partition opened; left in place) or <c>read</c> (a read that met damaged bytes and failed with
/// <c>CorruptRecordException</c>).</description></item>
/// <item><term><c>logstore.log.size</c></term><description>Observable gauge: bytes of every segment of each open partition.</description></item>
/// <item><term><c>logstore.fsyncs</c></term><description>Counter of partition flushes that fsynced segments.</description></item>
/// <item><term><c>logstore.fsync.duration</c></term><description>Histogram of those flushes' durations, in seconds.</description></item>
/// <item><term><c>logstore.records.appended</c></term><description>Counter of records appended (producers' batches and
/// <c>Partition.AppendAsync</c>), added once per append call, never per record.</description></item>
/// <item><term><c>logstore.bytes.appended</c></term><description>Counter of bytes of the batches appended, as stored.</description></item>
/// <item><term><c>logstore.append.duration</c></term><description>Histogram of append calls' durations (waiting for the
/// partition's write lock, validating, writing to the page cache; not the fsync a flush policy may add), in seconds.</description></item>
/// <item><term><c>logstore.records.read</c></term><description>Counter of records in the batches read (consumers' fetches,
/// <c>Partition.ReadAsync</c>, the group coordinator's loads); a fetch returns whole batches, so records before the
/// offset asked for are counted too, as Kafka's fetch metrics do.</description></item>
/// <item><term><c>logstore.bytes.read</c></term><description>Counter of bytes of those batches.</description></item>
/// <item><term><c>logstore.segment.count</c></term><description>Observable gauge: segments of each open partition.</description></item>
/// <item><term><c>logstore.consumer.lag</c></term><description>Observable gauge: the high watermark less the position of
/// every partition assigned to an open consumer whose position is known, tagged <c>logstore.consumer.group</c> too when
/// the consumer has a group. Consumers are held weakly and dropped when disposed.</description></item>
/// <item><term><c>logstore.partitions.offline</c></term><description>Observable gauge: 1 for each partition that could not
/// be opened with its Broker and stands offline (<see cref="PartitionOfflineException"/>); none while all are online.</description></item>
/// <item><term><c>logstore.partitions.under_replicated</c></term><description>Observable gauge: 1 for each partition this
/// node leads with fewer in-sync replicas than replicas.</description></item>
/// <item><term><c>logstore.isr.shrinks</c>, <c>logstore.isr.expands</c>, <c>logstore.follower.lag</c>,
/// <c>logstore.controller.*</c></term><description>Replication: see <c>LogStoreMetrics.Replication.cs</c>.</description></item>
/// <item><term><c>logstore.network.sendfile.bytes</c></term><description>Counter of response bytes the Kafka listener
/// sent straight from segment files (<c>sendfile(2)</c> on Linux), never through a user-space buffer; untagged.</description></item>
/// </list>
/// Thread-safe. Nothing is measured, and nothing allocated, while no listener is enabled. Traces come from the
/// <see cref="System.Diagnostics.ActivitySource"/> named <c>"LogStore"</c> (<see cref="LogStoreTracing"/>).
/// </summary>
internal static partial class LogStoreMetrics
{
    /// <summary>The meter's name, for <c>AddMeter("LogStore")</c>.</summary>
    public const string MeterName = "LogStore";

    private const string TopicTag = "logstore.topic";
    private const string PartitionTag = "logstore.partition";
    private const string ReasonTag = "logstore.reason";

    private static readonly Meter Meter = new(MeterName, typeof(LogStoreMetrics).Assembly.GetName().Version?.ToString());

    private static readonly Counter<long> SegmentsDeleted =
        Meter.CreateCounter<long>("logstore.segments.deleted", "{segment}", "Segments deleted by retention, DeleteRecords or compaction.");

    private static readonly Counter<long> BytesReclaimed =
        Meter.CreateCounter<long>("logstore.bytes.reclaimed", "By", "Bytes freed by deleting or compacting segments.");

    private static readonly Counter<long> CleanerRuns =
        Meter.CreateCounter<long>("logstore.cleaner.runs", "{run}", "Compactions that rewrote a partition.");

    private static readonly Counter<long> CorruptionDetected =
        Meter.CreateCounter<long>("logstore.corruption.detected", "{event}", "Damaged data found at open (left in place) or by a read.");

    private static readonly Counter<long> Fsyncs =
        Meter.CreateCounter<long>("logstore.fsyncs", "{fsync}", "Partition flushes that fsynced segments.");

    private static readonly Histogram<double> FsyncDuration =
        Meter.CreateHistogram<double>("logstore.fsync.duration", "s", "Duration of a partition flush (fsync of its dirty segments).");

    // Appends take microseconds, fsyncs milliseconds: the default buckets (0 to 10,000) would put them all in the first.
    private static readonly InstrumentAdvice<double> DurationAdvice = new()
    {
        HistogramBucketBoundaries = [0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    };

    // The traffic instruments: all created here, as one file's static fields initialise in order after Meter.
    private static readonly Counter<long> RecordsAppended =
        Meter.CreateCounter<long>("logstore.records.appended", "{record}", "Records appended to partitions.");

    private static readonly Counter<long> BytesAppended =
        Meter.CreateCounter<long>("logstore.bytes.appended", "By", "Bytes of the batches appended to partitions.");

    private static readonly Histogram<double> AppendDuration = Meter.CreateHistogram("logstore.append.duration", "s",
        "Duration of an append call: lock wait, validation and the write to the page cache.", tags: null, DurationAdvice);

    private static readonly Counter<long> RecordsRead =
        Meter.CreateCounter<long>("logstore.records.read", "{record}", "Records in the batches read from partitions.");

    private static readonly Counter<long> BytesRead =
        Meter.CreateCounter<long>("logstore.bytes.read", "By", "Bytes of the batches read from partitions.");

    private static readonly Counter<long> SendFileBytes =
        Meter.CreateCounter<long>("logstore.network.sendfile.bytes", "By", "Response bytes sent from segment files by sendfile.");

    // The replication counters (LogStoreMetrics.Replication.cs), here for the same reason.
    private static readonly Counter<long> IsrShrinks =
        Meter.CreateCounter<long>("logstore.isr.shrinks", "{change}", "Committed ISR changes that removed replicas, counted on the leader (Kafka's IsrShrinksPerSec).");

    private static readonly Counter<long> IsrExpands =
        Meter.CreateCounter<long>("logstore.isr.expands", "{change}", "Committed ISR changes that added replicas, counted on the leader (Kafka's IsrExpandsPerSec).");

    private static readonly Counter<long> FollowerFetchedBytes =
        Meter.CreateCounter<long>("logstore.follower.fetched.bytes", "By", "Record bytes a follower fetched from its leaders (Kafka's fetcher BytesPerSec).");

    private static readonly Histogram<double> FollowerFetchDuration = Meter.CreateHistogram("logstore.follower.fetch.duration", "s",
        "A follower's fetch, from sending the request to the leader's whole answer (Kafka's fetcher request latency).", tags: null, DurationAdvice);

    private static readonly Histogram<double> FollowerApplyDuration = Meter.CreateHistogram("logstore.follower.apply.duration", "s",
        "A follower applying a fetch's answer: its batches checked and appended, the high watermark taken.", tags: null, DurationAdvice);

    private static readonly Lock BrokersLock = new();
    private static readonly List<Broker> Brokers = [];

    // Partitions are small numbers: boxing each once keeps tagging allocation-free.
    private static readonly object[] BoxedPartitions = CreateBoxedPartitions(1024);

    static LogStoreMetrics()
    {
        Meter.CreateObservableGauge("logstore.log.size", ObserveLogSizes, "By", "Bytes of all segments of a partition.");
        Meter.CreateObservableGauge("logstore.segment.count", ObserveSegmentCounts, "{segment}", "Segments of a partition.");
        Meter.CreateObservableGauge("logstore.consumer.lag", ObserveConsumerLag, "{record}",
            "Records between a consumer's position and the partition's high watermark.");
        Meter.CreateObservableGauge("logstore.partitions.offline", ObserveOfflinePartitions, "{partition}",
            "1 for each partition that could not be opened with its Broker (Kafka's OfflinePartitionsCount, per partition).");
        Meter.CreateObservableGauge("logstore.partitions.under_replicated", ObserveUnderReplicatedPartitions, "{partition}",
            "1 for each partition this node leads with fewer in-sync replicas than replicas (Kafka's UnderReplicatedPartitions).");
        CreateReplicationGauges();
    }

    /// <summary>Adds a broker's partitions to <c>logstore.log.size</c>.</summary>
    public static void Register(Broker broker)
    {
        lock (BrokersLock)
            Brokers.Add(broker);
    }

    /// <summary>Removes a broker from <c>logstore.log.size</c>.</summary>
    public static void Unregister(Broker broker)
    {
        lock (BrokersLock)
            Brokers.Remove(broker);
    }

    public static void RecordSegmentsDeleted(TopicPartition tp, string reason, long segments, long bytes)
    {
        if (SegmentsDeleted.Enabled)
            SegmentsDeleted.Add(segments, Tags(tp, reason));
        if (BytesReclaimed.Enabled && bytes > 0)
            BytesReclaimed.Add(bytes, Tags(tp, reason));
    }

    public static void RecordCleanerRun(TopicPartition tp)
    {
        if (CleanerRuns.Enabled)
            CleanerRuns.Add(1, Tags(tp));
    }

    /// <summary>Counts damaged data found <paramref name="where"/>: <c>open</c> or <c>read</c>.</summary>
    public static void RecordCorruption(TopicPartition tp, string where)
    {
        if (CorruptionDetected.Enabled)
            CorruptionDetected.Add(1, Tags(tp, where));
    }

    public static void RecordFsync(TopicPartition tp, TimeSpan duration)
    {
        if (Fsyncs.Enabled)
            Fsyncs.Add(1, Tags(tp));
        if (FsyncDuration.Enabled)
            FsyncDuration.Record(duration.TotalSeconds, Tags(tp));
    }

    /// <summary>Counts bytes a connection sent from a file without copying them (once per file region, not per record).</summary>
    public static void RecordSendFile(long bytes)
    {
        if (SendFileBytes.Enabled)
            SendFileBytes.Add(bytes);
    }

    private static TagList Tags(TopicPartition tp, string? reason = null)
    {
        var tags = new TagList
        {
            { TopicTag, tp.Topic },
            { PartitionTag, Box(tp.Partition) },
        };
        if (reason is not null)
            tags.Add(ReasonTag, reason);
        return tags;
    }

    private static IEnumerable<Measurement<long>> ObserveLogSizes() =>
        ObservePartitions(static partition => partition.Log.SizeInBytes);

    private static IEnumerable<Measurement<long>> ObserveSegmentCounts() =>
        ObservePartitions(static partition => partition.Log.Segments.Count);

    private static IEnumerable<Measurement<long>> ObserveOfflinePartitions() =>
        ObservePartitions(static _ => 1, static partition => partition.IsOffline);

    private static IEnumerable<Measurement<long>> ObserveUnderReplicatedPartitions() =>
        ObservePartitions(static _ => 1, static partition => !partition.IsOffline && partition.Replica.Role == Storage.Replication.ReplicaRole.Leader
            && partition.Replica.InSyncReplicas.Count < partition.Replicas.Count);

    /// <summary>One measurement per partition of every open broker that <paramref name="include"/> selects (by default
    /// the open ones).</summary>
    private static List<Measurement<long>> ObservePartitions(Func<Partition, long> measure, Func<Partition, bool>? include = null)
    {
        Broker[] brokers;
        lock (BrokersLock)
            brokers = [.. Brokers];
        var measurements = new List<Measurement<long>>();
        foreach (Broker broker in brokers)
        {
            foreach (Topic topic in broker.Topics)
            {
                foreach (Partition partition in topic.Partitions)
                {
                    if (include is null ? !partition.Log.IsClosed : include(partition))
                        measurements.Add(new Measurement<long>(measure(partition), Tags(partition.Id)));
                }
            }
        }
        return measurements;
    }

    private static object Box(int partition) =>
        (uint)partition < (uint)BoxedPartitions.Length ? BoxedPartitions[partition] : partition.ToString(CultureInfo.InvariantCulture);

    private static object[] CreateBoxedPartitions(int count)
    {
        var boxed = new object[count];
        for (int i = 0; i < count; i++)
            boxed[i] = i;
        return boxed;
    }
}
