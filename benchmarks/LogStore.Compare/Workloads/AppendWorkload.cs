using LogStore.BenchmarkShared;
using LogStore.Compare.Systems;

namespace LogStore.Compare.Workloads;

/// <summary>
/// Workloads 1 and 2: append N records of one size from one thread, ending durable (fsync or the system's commit),
/// every system starting from an empty directory that is deleted after the run.
/// </summary>
internal sealed class AppendWorkload(int number, long records, int size, RoundRunner runner) : IWorkload
{
    private readonly byte[] _value = Payload.Value(size);
    private readonly byte[] _chunk = Payload.Chunk(size);

    public int Number => number;

    public string Title => $"append {records:N0} x {size} B";

    public int Steps => runner.Steps(Contestants());

    public void Run(ProgressSink progress, Action<WorkloadResult> completed) =>
        completed(runner.Run(progress, number.ToString(System.Globalization.CultureInfo.InvariantCulture), Title, SystemNames.LogStore, Contestants(), records, size));

    private List<Contestant> Contestants() =>
    [
        new(SystemNames.FileStream, "payload only, 1 MiB write(2)s, one fsync at the end", RawFileTrial(writeBehind: false)),
        new(SystemNames.FileStreamWriteBehind, "the same, writeback of each 8 MiB started at once (sync_file_range), fsync at the end", RawFileTrial(writeBehind: true)),
        new(SystemNames.LogStore, $"RecordBatchBuilder ({Payload.BatchBytes / 1024} KiB batches) + Partition.AppendAsync, then Partition.FlushAsync", n =>
        {
            LogStoreStore store = LogStoreStore.Create($"w{number}-ls");
            return new Trial(() => store.AppendDurably(_value, n), store.Dispose);
        }),
        new(SystemNames.LogStoreGathered, $"the same, the batches gathered into 1 MiB and appended together (Partition.AppendAsync of many: one write(2))", n =>
        {
            LogStoreStore store = LogStoreStore.Create($"w{number}-lg");
            return new Trial(() => store.AppendDurably(_value, n, Payload.MiB), store.Dispose);
        }),
        // What users write: a new message per record, keys typed (null here, a long in the keyed row).
        new(SystemNames.LogStoreProducer, "IProducer<byte[], byte[]>.Produce (default options), a new Message per record (key null), producer FlushAsync, Broker.FlushAsync", n =>
            LogStoreStore.Create($"w{number}-lp").ProducerTrial<byte[]>(producer =>
            {
                for (long i = n; i > 0; i--)
                    producer.Produce(LogStoreStore.TopicName, new Message<byte[], byte[]> { Value = _value });
            })),
        new(SystemNames.LogStoreProducerKeyed, "the same with IProducer<long, byte[]> and Key = the record's number (8 more bytes a record)", n =>
            LogStoreStore.Create($"w{number}-lk").ProducerTrial<long>(producer =>
            {
                for (long i = n; i > 0; i--)
                    producer.Produce(LogStoreStore.TopicName, new Message<long, byte[]> { Key = i, Value = _value });
            })),
        new(SystemNames.FasterLog, "Enqueue(span) per record, then CommitAsync", n =>
        {
            FasterLogHarness log = FasterLogHarness.Create(Scratch.NewDirectory($"w{number}-fl"));
            return new Trial(() => log.AppendDurably(_value, n), log.Dispose);
        }),
        new(SystemNames.Sqlite, "prepared INSERT per row, 1,000-row transactions, WAL, synchronous=NORMAL, last commit FULL", n =>
        {
            SqliteStore db = SqliteStore.Create($"w{number}-sq");
            return new Trial(() => db.AppendDurably(_value, n), db.Dispose);
        }),
    ];

    private Func<long, ITrial> RawFileTrial(bool writeBehind) => n =>
    {
        string directory = Scratch.NewDirectory($"w{number}-fs");
        var file = new RawFile(Path.Combine(directory, "raw.log"), writeBehind);
        return new Trial(() =>
        {
            file.WriteRecords(_chunk, size, n);
            file.Complete();
        }, () =>
        {
            file.Dispose();
            Scratch.Delete(directory);
        });
    };
}
