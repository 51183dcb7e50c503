using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Kafka = Confluent.Kafka;

namespace LogStore.Tool.Mirror;

/// <summary>
/// <c>logstore mirror</c>: replays a topic of a store, opened read-only (beside a running application), into a Kafka
/// cluster with Confluent's producer, partition by partition, up to the log end offsets seen at the start. Every few
/// seconds it waits for the cluster to acknowledge what was sent and records that position (the <c>--checkpoint</c>
/// file); Ctrl+C, a failed delivery or damaged data stop it the same way: it flushes what was sent, prints the summary
/// and where each partition stopped, and a rerun resumes there. Within a run the idempotent producer sends each record
/// once and in order; resuming after a failure may repeat the records sent since the last acknowledged position.
/// </summary>
internal static partial class TopicMirror
{
    // One read's worth of batches: large enough to keep the producer fed, small enough to stay out of the LOH's way.
    private const int ReadBytes = 1 << 20;

    // How often the command waits for acknowledgements and records the position reached (a brief pause of the pipeline).
    private static readonly TimeSpan s_settleInterval = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(CliContext cli, MirrorRequest request, CancellationToken cancellationToken)
    {
        await using Broker broker = await BrokerSession.OpenReadOnlyAsync(request.DataDirectory, cancellationToken).ConfigureAwait(false);
        Topic topic = BrokerSession.GetTopic(broker, request.Topic);
        IReadOnlyList<int> sources = request.Mapping.SourcePartitions(topic.Name, topic.Partitions.Count);
        IReadOnlyDictionary<int, long>? checkpoint = request.CheckpointFile is string file
            ? MirrorCheckpoint.Load(file, request.Topic, request.TargetTopic)
            : null;
        var notes = new List<string>();
        if (checkpoint is not null)
            notes.Add($"resuming from checkpoint '{request.CheckpointFile}'");

        using KafkaTarget target = KafkaTarget.Create(request.BootstrapServers, request.ProducerProperties);
        int targetCount = await PrepareTargetTopicAsync(target, topic, request, notes, cancellationToken).ConfigureAwait(false);
        var partitions = new List<PartitionProgress>(sources.Count);
        foreach (int p in sources)
        {
            Partition partition = topic.Partitions[p];
            long end = partition.LogEndOffset;
            long start = StartOffset(partition, end, request, checkpoint, notes);
            Kafka.Partition to = request.Mapping.TargetOf(p, targetCount) is int t ? new Kafka.Partition(t) : Kafka.Partition.Any;
            partitions.Add(new PartitionProgress(partition, new Kafka.TopicPartition(request.TargetTopic, to), start, end));
        }

        var forwarder = new RecordForwarder(target.Producer);
        var report = new MirrorReport(cli.Error, request, target, partitions, forwarder, TimeProvider.System);
        foreach (string note in notes)
            await report.WriteNoteAsync(note).ConfigureAwait(false);
        bool interrupted = false;
        ExceptionDispatchInfo? stoppedBy = null;
        try
        {
            await MirrorAsync(partitions, forwarder, target, report, request, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            interrupted = true;
        }
        catch (Exception e) when (e is LogStoreException or IOException or CommandException)
        {
            // Damaged data or a record the producer refused: stop as Ctrl+C does, then report it.
            stoppedBy = ExceptionDispatchInfo.Capture(e);
        }
        // Whatever stopped the run, what was sent is flushed and the position reached kept.
        Settle(target, partitions, CancellationToken.None);
        SaveCheckpoint(request, partitions);
        await report.WriteSummaryAsync().ConfigureAwait(false);
        stoppedBy?.Throw();
        if (partitions.FirstOrDefault(p => p.FirstError is not null) is PartitionProgress failed)
        {
            throw new CommandException($"delivering partition {failed.Source.Id.Partition} to topic '{request.TargetTopic}' on " +
                $"{request.BootstrapServers} failed: {failed.FirstError!.Reason}{Detail(target, failed.FirstError)}");
        }
        long unacknowledged = partitions.Sum(p => p.Produced - p.Delivered - p.Failed);
        if (unacknowledged > 0)
        {
            throw new CommandException($"{unacknowledged} records sent to {request.BootstrapServers} were neither acknowledged nor " +
                "failed in time; the position kept is the last acknowledged one");
        }
        if (interrupted)
        {
            await cli.Error.WriteLineAsync("Interrupted; what was sent was flushed.").ConfigureAwait(false);
            return ExitCodes.Interrupted;
        }
        return ExitCodes.Success;
    }

    private static async Task MirrorAsync(List<PartitionProgress> partitions, RecordForwarder forwarder, KafkaTarget target,
        MirrorReport report, MirrorRequest request, CancellationToken cancellationToken)
    {
        var sinceSettle = Stopwatch.StartNew();
        foreach (PartitionProgress progress in partitions)
        {
            while (progress.Next < progress.End && !AnyFailed(partitions))
            {
                FetchResult fetch;
                try
                {
                    fetch = await progress.Source.ReadAsync(progress.Next, ReadBytes, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
                }
                catch (OffsetOutOfRangeException) when (progress.Next < progress.Source.LogStartOffset)
                {
                    // The application's retention deleted the segment being read: what is gone cannot be sent.
                    long logStart = Math.Min(progress.Source.LogStartOffset, progress.End);
                    await report.WriteNoteAsync($"partition {progress.Source.Id.Partition}: offsets {progress.Next} to {logStart - 1} " +
                        "were deleted by retention before they were mirrored").ConfigureAwait(false);
                    progress.Next = logStart;
                    continue;
                }
                using (fetch)
                {
                    if (fetch.IsEmpty)
                        break;
                    foreach (RecordBatch batch in fetch)
                    {
                        if (progress.Next >= progress.End)
                            break;
                        if (batch.NextOffset <= progress.Next)
                            continue;
                        // A CRC mismatch is damage to report, not records to copy.
                        batch.EnsureValid();
                        forwarder.Forward(batch, progress, cancellationToken);
                    }
                }
                await report.WriteProgressIfDueAsync(cancellationToken).ConfigureAwait(false);
                if (sinceSettle.Elapsed >= s_settleInterval)
                {
                    Settle(target, partitions, cancellationToken);
                    SaveCheckpoint(request, partitions);
                    sinceSettle.Restart();
                }
            }
        }
    }

    /// <summary>
    /// Waits until every record produced has its delivery report (bounded by message.timeout.ms, after which librdkafka
    /// has failed what it could not deliver), then moves each partition without a failure to the position it reached.
    /// Counting reports, not Flush's queue length, because the last report's handler may still run when the queue is empty.
    /// </summary>
    private static void Settle(KafkaTarget target, List<PartitionProgress> partitions, CancellationToken cancellationToken)
    {
        TimeSpan limit = target.MessageTimeout == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : target.MessageTimeout + TimeSpan.FromSeconds(5);
        var waited = Stopwatch.StartNew();
        while (!AllReported(partitions))
        {
            if (cancellationToken.IsCancellationRequested || (limit != Timeout.InfiniteTimeSpan && waited.Elapsed > limit))
                return;
            target.Producer.Flush(TimeSpan.FromMilliseconds(100));
        }
        foreach (PartitionProgress p in partitions)
        {
            if (p.Failed == 0)
                p.Settled = p.Next;
        }
    }

    private static bool AllReported(List<PartitionProgress> partitions)
    {
        foreach (PartitionProgress p in partitions)
        {
            if (p.Delivered + p.Failed < p.Produced)
                return false;
        }
        return true;
    }

    private static bool AnyFailed(List<PartitionProgress> partitions)
    {
        foreach (PartitionProgress p in partitions)
        {
            if (p.Failed > 0)
                return true;
        }
        return false;
    }

    private static void SaveCheckpoint(MirrorRequest request, List<PartitionProgress> partitions)
    {
        if (request.CheckpointFile is string file)
            MirrorCheckpoint.Save(file, request.Topic, request.TargetTopic, partitions.Select(p => KeyValuePair.Create(p.Source.Id.Partition, p.Settled)));
    }

    private static string Detail(KafkaTarget target, Kafka.Error error) =>
        target.LastError is string last && last != error.Reason ? $" ({last})" : "";
}
