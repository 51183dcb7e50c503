namespace LogStore.Tool.Consuming;

/// <summary>
/// The consuming loop of <c>consume</c>, as kafka-console-consumer's: print records until --max is reached or the
/// end of the log (after --timeout-ms), then, with a group, commit the positions reached, so the next run resumes
/// after the last record printed. Auto-commit is off: only what was printed is committed. Ctrl+C ends the loop the
/// same way.
/// </summary>
internal static class ConsoleConsumer
{
    // How long to wait for data that is there but not yet fetched, or for a group's assignment.
    private static readonly TimeSpan s_pollWait = TimeSpan.FromMilliseconds(100);

    public static async Task<int> RunAsync(CliContext cli, string dataDirectory, ConsumeRequest request, RecordWriter writer,
        CancellationToken cancellationToken)
    {
        // Without a group nothing is written: read beside the application. A group's commit is a write.
        await using Broker broker = request.Group is null
            ? await BrokerSession.OpenReadOnlyAsync(dataDirectory, cancellationToken).ConfigureAwait(false)
            : await BrokerSession.OpenAsync(dataDirectory, create: false, cancellationToken).ConfigureAwait(false);
        Topic topic = BrokerSession.GetTopic(broker, request.Topic);
        IReadOnlyList<Partition> partitions = BrokerSession.GetPartitions(topic, request.Partition);
        await using (IConsumer<byte[]?, byte[]?> consumer = broker.CreateConsumer<byte[]?, byte[]?>(new ConsumerOptions
        {
            GroupId = request.Group,
            EnableAutoCommit = false,
            // An offset asked for explicitly must exist; otherwise Kafka's rule: the start or the end of the log.
            AutoOffsetReset = request.Offset is not null ? AutoOffsetReset.Error
                : request.FromBeginning ? AutoOffsetReset.Earliest : AutoOffsetReset.Latest,
        }))
        {
            if (request.ManualAssignment)
                consumer.Assign(partitions.Select(p => new TopicPartitionOffset(p.Id, StartOffset(p, request))));
            else
                consumer.Subscribe([topic.Name]);
            try
            {
                await ConsumeAsync(consumer, topic, request, writer, cli.Out, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C is how a follow (--timeout-ms -1) ends: commit and summarise as at the end of the log.
            }
            if (request.Group is not null)
                consumer.Commit();
        }
        await cli.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        await cli.Error.WriteLineAsync(RecordWriter.Summary(writer.Written)).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private static long StartOffset(Partition partition, ConsumeRequest request) =>
        request.Offset ?? (request.Time is DateTimeOffset time ? partition.OffsetForTimestamp(time) ?? partition.LogEndOffset
            : request.FromBeginning ? Offset.Beginning
            : request.Group is not null ? Offset.Stored
            : Offset.End);

    private static async Task ConsumeAsync(IConsumer<byte[]?, byte[]?> consumer, Topic topic, ConsumeRequest request,
        RecordWriter writer, TextWriter output, CancellationToken cancellationToken)
    {
        TimeSpan idle = request.TimeoutMs < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(request.TimeoutMs);
        while (request.Max is not long max || writer.Written < max)
        {
            ConsumeResult<byte[]?, byte[]?>? result = await consumer.ConsumeAsync(TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            if (result is null)
            {
                // Nothing buffered: show what was printed so far before waiting.
                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (!AtEndOfLog(consumer, topic))
                {
                    result = await consumer.ConsumeAsync(s_pollWait, cancellationToken).ConfigureAwait(false);
                    if (result is null)
                        continue;
                }
                else if (idle == TimeSpan.Zero || (result = await consumer.ConsumeAsync(idle, cancellationToken).ConfigureAwait(false)) is null)
                {
                    break;
                }
            }
            // Not cancellable: the position is already past this record, so it must reach the output before a commit.
            await writer.WriteAsync(result, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Whether every assigned partition's position has reached its log end offset. False before a group has
    /// assigned anything, so the loop waits for the assignment rather than ending.</summary>
    private static bool AtEndOfLog(IConsumer<byte[]?, byte[]?> consumer, Topic topic)
    {
        IReadOnlyList<TopicPartition> assignment = consumer.Assignment;
        if (assignment.Count == 0)
            return false;
        foreach (TopicPartition tp in assignment)
        {
            if (consumer.Position(tp) < topic.Partitions[tp.Partition].LogEndOffset)
                return false;
        }
        return true;
    }
}
