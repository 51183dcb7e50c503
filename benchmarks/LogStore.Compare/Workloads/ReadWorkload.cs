using LogStore.BenchmarkShared;
using LogStore.Compare.Systems;

namespace LogStore.Compare.Workloads;

/// <summary>
/// Workload 3: read everything back. Each system first writes the records of workload 1 (untimed, durable); then
/// every round reads them all, from the OS page cache (the warm-up round brings them in). Every read is checked to
/// return all the value bytes.
/// </summary>
internal sealed class ReadWorkload(long records, int size, int loadAppendBytes, RoundRunner runner) : IWorkload
{
    private const int BuildSteps = 4;

    private readonly byte[] _value = Payload.Value(size);

    public int Number => 3;

    public string Title => $"read back {records:N0} x {size} B";

    public int Steps => BuildSteps + runner.Steps(Readers);

    private static readonly string[] Readers = [SystemNames.FileStream, SystemNames.LogStore, SystemNames.LogStoreConsumer, SystemNames.LogStoreConsumerViews, SystemNames.LogStoreConsumerLent, SystemNames.FasterLog, SystemNames.Sqlite];

    public void Run(ProgressSink progress, Action<WorkloadResult> completed)
    {
        string? rawDirectory = null;
        LogStoreStore? logStore = null;
        FasterLogHarness? faster = null;
        SqliteStore? sqlite = null;
        try
        {
            progress.Status($"W3 {Title}: writing the data (FileStream)");
            rawDirectory = Scratch.NewDirectory("w3-fs");
            string rawPath = Path.Combine(rawDirectory, "raw.log");
            using (var file = new RawFile(rawPath, writeBehind: true))
            {
                file.WriteRecords(Payload.Chunk(size), size, records);
                file.Complete();
            }
            progress.Step();
            progress.Status($"W3 {Title}: writing the data (LogStore)");
            logStore = LogStoreStore.Create("w3-ls");
            logStore.AppendDurably(_value, records, loadAppendBytes);
            progress.Step();
            progress.Status($"W3 {Title}: writing the data (FasterLog)");
            faster = FasterLogHarness.Create(Scratch.NewDirectory("w3-fl"));
            faster.AppendDurably(_value, records);
            progress.Step();
            progress.Status($"W3 {Title}: writing the data (SQLite)");
            sqlite = SqliteStore.Create("w3-sq");
            sqlite.AppendDurably(_value, records);
            progress.Step();

            var buffer = new byte[Payload.MiB];
            long expected = records * size;
            LogStoreStore ls = logStore;
            FasterLogHarness fl = faster;
            SqliteStore sq = sqlite;
            List<Contestant> contestants =
            [
                new(SystemNames.FileStream, "the payload file in 1 MiB read(2)s, no decoding (page-cache copy ceiling)", Reading(() => RawFile.ReadAll(rawPath, buffer), expected)),
                new(SystemNames.LogStore, "Partition.ReadAsync of 1 MiB fetches, every record decoded as spans (no copy)", Reading(() => LogStoreReads.ReadAllAsSpans(ls.Partition()), expected)),
                new(SystemNames.LogStoreConsumer, "IConsumer.ConsumeAsync per record: ConsumeResult + Message + byte[] value", Reading(() => LogStoreReads.ConsumeAll(ls.Broker, ls.Topic, records), expected)),
                new(SystemNames.LogStoreConsumerViews, "the same with Deserializers.ReadOnlyMemory: ConsumeResult + Message, the value a view of the fetch", Reading(() => LogStoreReads.ConsumeAllAsViews(ls.Broker, ls.Topic, records), expected)),
                new(SystemNames.LogStoreConsumerLent, "IConsumer.ConsumeBatchAsync: records lent as spans into the fetch, each value's length summed (the FasterLog row's work)", Reading(() => LogStoreReads.ConsumeAllLent(ls.Broker, ls.Topic, records), expected)),
                new(SystemNames.FasterLog, "Scan iterator, UnsafeGetNext/UnsafeRelease (a pointer into its page, no copy)", Reading(fl.ScanAll, expected)),
                new(SystemNames.Sqlite, "SELECT value ORDER BY id, GetBytes into one buffer", Reading(sq.ReadAll, expected)),
            ];
            completed(runner.Run(progress, "3", Title, SystemNames.LogStore, contestants, records, size, warmupRecords: records));
        }
        finally
        {
            sqlite?.Dispose();
            faster?.Dispose();
            logStore?.Dispose();
            Scratch.Delete(rawDirectory);
        }
    }

    /// <summary>A trial that reads everything (the record count asked for is ignored: the data is what was written).</summary>
    private static Func<long, ITrial> Reading(Func<long> read, long expectedBytes) => _ => new Trial(() =>
    {
        long bytes = read();
        if (bytes != expectedBytes)
            throw new InvalidOperationException($"Read {bytes} bytes of values, expected {expectedBytes}.");
    }, static () => { });
}
