using System.Globalization;
using System.Text;

namespace LogStore.Tool.Mirror;

/// <summary>
/// What <c>mirror</c> prints on standard error: a progress line each second while it runs, then a summary (records
/// and bytes per partition, totals, rate, what changed on the way) and, when it stopped early, where each partition
/// stopped. MB are 10^6 bytes of keys, values and headers, as <c>bench</c> counts them. One thread.
/// </summary>
internal sealed class MirrorReport(TextWriter error, MirrorRequest request, KafkaTarget target,
    IReadOnlyList<PartitionProgress> partitions, RecordForwarder forwarder, TimeProvider time)
{
    private static readonly TimeSpan s_progressInterval = TimeSpan.FromSeconds(1);
    private readonly long _started = time.GetTimestamp();
    private long _lastProgress = time.GetTimestamp();

    /// <summary>Prints a progress line when a second has passed since the last.</summary>
    public async ValueTask WriteProgressIfDueAsync(CancellationToken cancellationToken)
    {
        if (time.GetElapsedTime(_lastProgress) < s_progressInterval)
            return;
        _lastProgress = time.GetTimestamp();
        long total = 0;
        long delivered = 0;
        long bytes = 0;
        foreach (PartitionProgress p in partitions)
        {
            total += p.End - p.Start;
            delivered += p.Delivered;
            bytes += p.ProducedBytes;
        }
        TimeSpan elapsed = time.GetElapsedTime(_started);
        await error.WriteLineAsync(Invariant(
            $"mirrored {delivered:N0} records of about {total:N0} ({Size(bytes)} sent), {Rate(delivered, elapsed):N0} records/s")).ConfigureAwait(false);
        await error.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A line of its own, before or between progress lines.</summary>
    public async ValueTask WriteNoteAsync(string note) => await error.WriteLineAsync(note).ConfigureAwait(false);

    /// <summary>The summary; then, unless every partition reached its end, where each one stopped and how to resume.</summary>
    public async ValueTask WriteSummaryAsync()
    {
        TimeSpan elapsed = time.GetElapsedTime(_started);
        var text = new StringBuilder();
        text.AppendLine(Invariant($"Mirrored topic '{request.Topic}' to '{request.TargetTopic}' on {request.BootstrapServers} ({target.ProducerSettings}):"));
        long records = 0;
        long bytes = 0;
        foreach (PartitionProgress p in partitions)
        {
            records += p.Delivered;
            bytes += p.ProducedBytes;
            string to = p.Target.Partition == Confluent.Kafka.Partition.Any ? "by key" : p.Target.Partition.Value.ToString(CultureInfo.InvariantCulture);
            string range = p.Settled > p.Start ? Invariant($"offsets {p.Start}-{p.Settled - 1}") : Invariant($"from offset {p.Start}");
            string failed = p.Failed > 0 ? Invariant($", {p.Failed:N0} not delivered") : "";
            text.AppendLine(Invariant($"  partition {p.Source.Id.Partition} -> {to}: {p.Delivered:N0} records ({range}), {Size(p.ProducedBytes)} sent{failed}"));
        }
        double seconds = Math.Max(elapsed.TotalSeconds, 0.001);
        text.AppendLine(Invariant(
            $"{records:N0} records, {Size(bytes)} in {seconds:0.0} s: {Rate(records, elapsed):N0} records/s, {bytes / seconds / 1e6:0.00} MB/s"));
        if (forwarder.CompressedCodecs != 0)
        {
            text.AppendLine($"Compressed batches ({Codecs(forwarder.CompressedCodecs)}) were decompressed and their records re-batched by the " +
                "producer with its own compression.type (-X compression.type=zstd to compress).");
        }
        if (forwarder.LogAppendTimeRecords > 0)
        {
            text.AppendLine(Invariant($"{forwarder.LogAppendTimeRecords:N0} records had LogAppendTime: each was sent as CreateTime ") +
                "carrying the time the store appended it.");
        }
        if (forwarder.Tombstones > 0)
            text.AppendLine(Invariant($"{forwarder.Tombstones:N0} tombstones (null values) were kept."));
        AppendStopped(text);
        await error.WriteAsync(text.ToString()).ConfigureAwait(false);
        await error.FlushAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private void AppendStopped(StringBuilder text)
    {
        var stopped = partitions.Where(p => p.Settled < p.End).ToList();
        if (stopped.Count == 0)
            return;
        text.Append("Stopped before the end: ");
        text.AppendJoin(", ", stopped.Select(p => Invariant($"partition {p.Source.Id.Partition} at offset {p.Settled} of {p.End}")));
        text.AppendLine(request.CheckpointFile is string file
            ? $"; rerun with --checkpoint {file} to resume there."
            : "; resume a partition P at offset N with --partitions P=P --from-offset N, or all with --checkpoint FILE.");
    }

    private static string Codecs(int flags) =>
        string.Join(", ", Enum.GetValues<CompressionType>().Where(c => (flags & (1 << (int)c)) != 0).Select(c => c.ToString().ToLowerInvariant()));

    /// <summary>"512 bytes" below a megabyte, "12.34 MB" from there.</summary>
    private static string Size(long bytes) => bytes < 1_000_000
        ? bytes.ToString("N0", CultureInfo.InvariantCulture) + " bytes"
        : (bytes / 1e6).ToString("0.00", CultureInfo.InvariantCulture) + " MB";

    private static double Rate(long records, TimeSpan elapsed) => records / Math.Max(elapsed.TotalSeconds, 0.001);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
