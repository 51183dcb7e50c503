using LogStore.BenchmarkShared;
using LogStore.Compare.Systems;

namespace LogStore.Compare.Workloads;

/// <summary>
/// Workload 4: the append of workload 1 made durable every 1 MiB of payload. The pipelined variants (LogStore,
/// FasterLog, the FileStream ceiling) start the durability request for the last MiB and keep writing while it runs,
/// waiting only for the previous request before starting the next, so at most two MiB are ever not yet durable. The
/// "inline" variants stop for each fsync. SQLite commits a transaction per MiB with synchronous=FULL (it has no
/// asynchronous commit).
/// </summary>
/// <remarks>
/// How LogStore overlaps from the caller's side: <see cref="Partition.FlushAsync"/> runs the fsync on the calling
/// thread when no other is running (group commit's leader), so awaiting it — or not awaiting it — still stops the
/// writer. Appends and fsyncs do not share a lock (PartitionLog's write lock and flush lock), so the writer hands the
/// flush to the thread pool (<c>Task.Run(() =&gt; partition.FlushAsync())</c>) and goes on appending.
/// </remarks>
internal sealed class FsyncWorkload(long records, int size, RoundRunner runner) : IWorkload
{
    private readonly byte[] _value = Payload.Value(size);
    private readonly byte[] _chunk = Payload.Chunk(size);
    private readonly long _recordsPerMiB = Payload.RecordsPerMiB(size);

    public int Number => 4;

    public string Title => $"append {records:N0} x {size} B, durable every 1 MiB";

    public int Steps => runner.Steps(Contestants());

    public void Run(ProgressSink progress, Action<WorkloadResult> completed) =>
        completed(runner.Run(progress, "4", Title, SystemNames.LogStore, Contestants(), records, size));

    private List<Contestant> Contestants() =>
    [
        new(SystemNames.FileStream, "1 MiB write(2)s; after each, fsync on the thread pool (waiting for the previous one), writing on", RawFileTrial(pipelined: true)),
        new(SystemNames.FileStreamInlineFsync, "1 MiB write(2)s, fsync after each", RawFileTrial(pipelined: false)),
        new(SystemNames.LogStore, "PartitionWriter; every 1 MiB Task.Run(Partition.FlushAsync), waiting for the previous one, appending on", LogStoreTrial(pipelined: true)),
        new(SystemNames.LogStoreInlineFsync, "PartitionWriter; every 1 MiB await Partition.FlushAsync (the writer stops)", LogStoreTrial(pipelined: false)),
        new(SystemNames.LogStoreGathered, "the pipelined LogStore row with each MiB's batches appended together (Partition.AppendAsync of many: one write(2))", LogStoreTrial(pipelined: true, gathered: true)),
        new(SystemNames.FasterLog, "Enqueue per record; every 1 MiB CommitAsync started (waiting for the previous one), enqueueing on", n =>
        {
            FasterLogHarness log = FasterLogHarness.Create(Scratch.NewDirectory("w4-fl"));
            return new Trial(() =>
            {
                FASTER.core.FasterLog faster = log.Log;
                Task? pending = null;
                long sinceCommit = 0;
                for (long i = n; i > 0; i--)
                {
                    faster.Enqueue(_value.AsSpan());
                    if (++sinceCommit < _recordsPerMiB)
                        continue;
                    sinceCommit = 0;
                    pending?.GetAwaiter().GetResult();
                    pending = faster.CommitAsync().AsTask();
                }
                pending?.GetAwaiter().GetResult();
                log.Commit();
            }, log.Dispose);
        }),
        new(SystemNames.Sqlite, "1 MiB transactions with synchronous=FULL (WAL fsync per commit)", n =>
        {
            SqliteStore db = SqliteStore.Create("w4-sq");
            return new Trial(() => db.AppendDurably(_value, n, (int)_recordsPerMiB, everyCommitDurable: true), db.Dispose);
        }),
    ];

    private Func<long, ITrial> LogStoreTrial(bool pipelined, bool gathered = false) => n =>
    {
        LogStoreStore store = LogStoreStore.Create(gathered ? "w4-lg" : pipelined ? "w4-ls" : "w4-li");
        return new Trial(() =>
        {
            Partition partition = store.Partition();
            // Gathered: room for more than the cadence, so that each MiB goes out in one append just before its flush.
            using var writer = new PartitionWriter(partition, size, gathered ? 2 * Payload.MiB : 0);
            Task? pending = null;
            long sinceFlush = 0;
            for (long i = n; i > 0; i--)
            {
                // The cadence is checked when a batch completes: a flush covers whole appended batches.
                bool batchAppended = writer.Append(_value);
                sinceFlush++;
                if (!batchAppended || sinceFlush < _recordsPerMiB)
                    continue;
                sinceFlush = 0;
                if (gathered)
                    writer.Seal();
                if (pipelined)
                {
                    pending?.GetAwaiter().GetResult();
                    pending = Task.Run(() => partition.FlushAsync().AsTask());
                }
                else
                {
                    partition.FlushAsync().GetAwaiter().GetResult();
                }
            }
            writer.Seal();
            pending?.GetAwaiter().GetResult();
            partition.FlushAsync().GetAwaiter().GetResult();
        }, store.Dispose);
    };

    private Func<long, ITrial> RawFileTrial(bool pipelined) => n =>
    {
        string directory = Scratch.NewDirectory(pipelined ? "w4-fs" : "w4-fi");
        var file = new RawFile(Path.Combine(directory, "raw.log"), writeBehind: false);
        return new Trial(() =>
        {
            file.WriteRecords(_chunk, size, n, pipelined ? static f => f.FsyncInBackground() : static f => f.Fsync());
            file.Complete();
        }, () =>
        {
            file.Dispose();
            Scratch.Delete(directory);
        });
    };
}
