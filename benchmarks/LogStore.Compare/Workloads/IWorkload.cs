namespace LogStore.Compare.Workloads;

/// <summary>One of issue 6's seven workloads: it knows how many progress steps it takes and runs every system.</summary>
internal interface IWorkload
{
    int Number { get; }

    string Title { get; }

    int Steps { get; }

    /// <summary>Runs the workload; <paramref name="completed"/> receives each result as soon as it is known (so that
    /// a long run's results are saved even if a later workload fails).</summary>
    void Run(ProgressSink progress, Action<WorkloadResult> completed);
}

/// <summary>The rows' names, shared by the workloads, the targets and the chart.</summary>
internal static class SystemNames
{
    public const string LogStore = "LogStore (partition)";
    public const string LogStoreProducer = "LogStore (producer)";
    public const string LogStoreGathered = "LogStore (partition, 1 MiB appends)";
    public const string LogStoreProducerKeyed = "LogStore (producer, keyed)";
    public const string LogStoreConsumer = "LogStore (consumer)";
    public const string LogStoreConsumerViews = "LogStore (consumer, views)";
    public const string LogStoreConsumerLent = "LogStore (consumer, lent batches)";
    public const string LogStoreInlineFsync = "LogStore (inline fsync)";
    public const string LogStoreLatency = "LogStore (acks=leader)";
    public const string LogStoreLatencyNoLinger = "LogStore (acks=leader, linger 0)";
    public const string LogStoreLatencyDurable = "LogStore (acks=all, fsync)";
    public const string FasterLog = "FasterLog";
    public const string FasterLogDurable = "FasterLog (commit)";
    public const string FasterLogAwait = "FasterLog (await)";
    public const string Sqlite = "SQLite";
    public const string FileStream = "FileStream";
    public const string FileStreamWriteBehind = "FileStream + write-behind";
    public const string FileStreamInlineFsync = "FileStream (inline fsync)";
    // Not prefixed FileStream: it is a floor of the read path, not a ceiling the chart would pick as the FileStream bar.
    public const string BatchSizedPread = "pread of a batch-sized block";
    public const string SegmentPread = "pread of the batch in LogStore's segment";
    public const string SegmentMapped = "mapped batch in LogStore's segment, CRC";
}

/// <summary>Runs two writer threads (dedicated threads, not pool work items) and rethrows the first failure.</summary>
internal static class WriterThreads
{
    public static void Run(int threads, Action<int> body)
    {
        var errors = new Exception?[threads];
        var started = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int index = t;
            started[t] = new Thread(() =>
            {
                try
                {
                    body(index);
                }
                catch (Exception e)
                {
                    errors[index] = e;
                }
            }) { IsBackground = true, Name = $"writer-{t}" };
            started[t].Start();
        }
        foreach (Thread thread in started)
            thread.Join();
        foreach (Exception? error in errors)
        {
            if (error is not null)
                throw new AggregateException("A writer thread failed.", error);
        }
    }
}
