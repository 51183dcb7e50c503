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
/// <item><term><c>logstore.log.size</c></term><description>Observable gauge: bytes of every segment of each open partition.</description></item>
/// <item><term><c>logstore.fsyncs</c></term><description>Counter of partition flushes that fsynced segments.</description></item>
/// <item><term><c>logstore.fsync.duration</c></term><description>Histogram of those flushes' durations, in seconds.</description></item>
/// </list>
/// Thread-safe. Nothing is measured, and nothing allocated, while no listener is enabled.
/// </summary>
internal static class LogStoreMetrics
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

    private static readonly Counter<long> Fsyncs =
        Meter.CreateCounter<long>("logstore.fsyncs", "{fsync}", "Partition flushes that fsynced segments.");

    private static readonly Histogram<double> FsyncDuration =
        Meter.CreateHistogram<double>("logstore.fsync.duration", "s", "Duration of a partition flush (fsync of its dirty segments).");

    private static readonly Lock BrokersLock = new();
    private static readonly List<Broker> Brokers = [];

    // Partitions are small numbers: boxing each once keeps tagging allocation-free.
    private static readonly object[] BoxedPartitions = CreateBoxedPartitions(1024);

    static LogStoreMetrics() =>
        Meter.CreateObservableGauge("logstore.log.size", ObserveLogSizes, "By", "Bytes of all segments of a partition.");

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

    public static void RecordFsync(TopicPartition tp, TimeSpan duration)
    {
        if (Fsyncs.Enabled)
            Fsyncs.Add(1, Tags(tp));
        if (FsyncDuration.Enabled)
            FsyncDuration.Record(duration.TotalSeconds, Tags(tp));
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

    private static IEnumerable<Measurement<long>> ObserveLogSizes()
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
                    if (!partition.Log.IsClosed)
                        measurements.Add(new Measurement<long>(partition.Log.SizeInBytes, Tags(partition.Id)));
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
