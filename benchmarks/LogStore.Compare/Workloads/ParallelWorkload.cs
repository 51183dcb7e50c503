using LogStore.BenchmarkShared;
using LogStore.Compare.Systems;

namespace LogStore.Compare.Workloads;

/// <summary>
/// Workload 5: 4 partitions written by 2 threads, each thread owning 2 partitions and alternating between them one
/// batch's worth of records at a time (16 KiB; 1 MiB for the raw files; a 1,000-row transaction for SQLite). The
/// records are split evenly; the run ends durable for all 4 partitions. FasterLog and SQLite get one log / one
/// database file per partition (each is one writer's log).
/// </summary>
internal sealed class ParallelWorkload(long records, int size, RoundRunner runner) : IWorkload
{
    public const int Partitions = 4;
    public const int Threads = 2;

    private readonly byte[] _value = Payload.Value(size);
    private readonly byte[] _chunk = Payload.Chunk(size);
    private readonly int _recordsPerBatch = Payload.RecordsPerBatch(size);

    public int Number => 5;

    public string Title => $"{Partitions} partitions / {Threads} writer threads, {records:N0} x {size} B";

    public int Steps => runner.Steps(Contestants());

    public void Run(ProgressSink progress, Action<WorkloadResult> completed) =>
        completed(runner.Run(progress, "5", Title, SystemNames.LogStore, Contestants(), records, size));

    /// <summary>Records of partition <paramref name="partition"/>: an even split, the remainder to the first ones.</summary>
    private static long Share(long records, int partition) => records / Partitions + (partition < records % Partitions ? 1 : 0);

    private List<Contestant> Contestants() =>
    [
        new(SystemNames.FileStreamWriteBehind, "4 files, 1 MiB write(2)s alternating, write-behind, fsync of each at the end", n =>
        {
            string directory = Scratch.NewDirectory("w5-fs");
            RawFile[] files = [.. Enumerable.Range(0, Partitions).Select(p => new RawFile(Path.Combine(directory, $"raw-{p}.log"), writeBehind: true))];
            long perChunk = _chunk.Length / size;
            return new Trial(() => WriterThreads.Run(Threads, t =>
            {
                int[] mine = [t, t + Threads];
                long[] left = [Share(n, mine[0]), Share(n, mine[1])];
                while (left[0] > 0 || left[1] > 0)
                {
                    for (int k = 0; k < 2; k++)
                    {
                        long take = Math.Min(left[k], perChunk);
                        if (take == 0)
                            continue;
                        files[mine[k]].Write(_chunk.AsSpan(0, (int)(take * size)));
                        left[k] -= take;
                    }
                }
                files[mine[0]].Complete();
                files[mine[1]].Complete();
            }), () =>
            {
                foreach (RawFile file in files)
                    file.Dispose();
                Scratch.Delete(directory);
            });
        }),
        new(SystemNames.LogStore, "PartitionWriter per partition, each thread alternating batches between its 2, then Broker.FlushAsync", n =>
        {
            LogStoreStore store = LogStoreStore.Create("w5-ls", Partitions);
            return new Trial(() =>
            {
                WriterThreads.Run(Threads, t =>
                {
                    using var first = new PartitionWriter(store.Partition(t), size);
                    using var second = new PartitionWriter(store.Partition(t + Threads), size);
                    PartitionWriter[] writers = [first, second];
                    long[] left = [Share(n, t), Share(n, t + Threads)];
                    int k = 0;
                    while (left[0] > 0 || left[1] > 0)
                    {
                        if (left[k] == 0)
                        {
                            k = 1 - k;
                            continue;
                        }
                        bool batchAppended = writers[k].Append(_value);
                        left[k]--;
                        if (batchAppended || left[k] == 0)
                        {
                            writers[k].Seal();
                            k = 1 - k;
                        }
                    }
                });
                store.Flush();
            }, store.Dispose);
        }),
        new(SystemNames.LogStoreProducer, "one IProducer, Produce from 2 threads, a new Message per record (sticky partitioner spreads batches), flush, Broker.FlushAsync", n =>
        {
            return LogStoreStore.Create("w5-lp", Partitions).ProducerTrial<byte[]>(producer => WriterThreads.Run(Threads, t =>
            {
                for (long i = n / Threads + (t < n % Threads ? 1 : 0); i > 0; i--)
                    producer.Produce(LogStoreStore.TopicName, new Message<byte[], byte[]> { Value = _value });
            }));
        }),
        new(SystemNames.FasterLog, "4 FasterLogs, each thread enqueueing a batch's worth of records into each of its 2 in turn, then 4 commits", n =>
        {
            FasterLogHarness[] logs = [.. Enumerable.Range(0, Partitions).Select(p => FasterLogHarness.Create(Scratch.NewDirectory($"w5-fl{p}")))];
            return new Trial(() =>
            {
                WriterThreads.Run(Threads, t =>
                {
                    FASTER.core.FasterLog[] mine = [logs[t].Log, logs[t + Threads].Log];
                    long[] left = [Share(n, t), Share(n, t + Threads)];
                    while (left[0] > 0 || left[1] > 0)
                    {
                        for (int k = 0; k < 2; k++)
                        {
                            long take = Math.Min(left[k], _recordsPerBatch);
                            for (long i = take; i > 0; i--)
                                mine[k].Enqueue(_value.AsSpan());
                            left[k] -= take;
                        }
                    }
                });
                Task.WaitAll([.. logs.Select(l => l.Log.CommitAsync().AsTask())]);
            }, () =>
            {
                foreach (FasterLogHarness log in logs)
                    log.Dispose();
            });
        }),
        new(SystemNames.Sqlite, "4 database files, each thread alternating 1,000-row transactions between its 2; last commit of each FULL", n =>
        {
            string directory = Scratch.NewDirectory("w5-sq");
            SqliteStore[] dbs = [.. Enumerable.Range(0, Partitions).Select(p => SqliteStore.CreateIn(directory, $"log-{p}.db"))];
            return new Trial(() => WriterThreads.Run(Threads, t =>
            {
                SqliteStore[] mine = [dbs[t], dbs[t + Threads]];
                SqliteStore.Inserter[] inserters = [mine[0].CreateInserter(_value), mine[1].CreateInserter(_value)];
                long[] left = [Share(n, t), Share(n, t + Threads)];
                while (left[0] > 0 || left[1] > 0)
                {
                    for (int k = 0; k < 2; k++)
                    {
                        int rows = (int)Math.Min(left[k], SqliteStore.TransactionRows);
                        if (rows == 0)
                            continue;
                        left[k] -= rows;
                        if (left[k] == 0)
                            mine[k].Execute("PRAGMA synchronous=FULL;");
                        inserters[k].InsertTransaction(rows);
                    }
                }
                inserters[0].Dispose();
                inserters[1].Dispose();
            }), () =>
            {
                foreach (SqliteStore db in dbs)
                    db.Dispose();
                Scratch.Delete(directory);
            });
        }),
    ];
}
