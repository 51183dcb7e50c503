// A durable work queue on LogStore. A producer enqueues jobs to the "jobs" topic; three workers in the consumer group
// "workers" compete for them: the group gives each worker its share of the partitions, so each job goes to exactly
// one worker. A worker commits a job's offset right after processing it, so a worker that stops, or a whole process
// that restarts, resumes after the last committed job: nothing is done twice and nothing is skipped.
//
// With --kafka HOST:PORT the same workers run on a Kafka cluster through LogStore.Kafka (a topic and group of the run's
// own); "restart" is then a reconnect.
//
//   dotnet run --project samples/WorkQueue [-- --kafka HOST:PORT]
using LogStore;
using LogStore.Kafka;
using WorkQueue;

string? kafka = args is ["--kafka", var bootstrap] ? bootstrap
    : args.Length == 0 ? null : throw new ArgumentException("Usage: WorkQueue [--kafka HOST:PORT]");
string dataDirectory = Path.Combine(Path.GetTempPath(), $"logstore-workqueue-{Guid.NewGuid():N}");
var brokerOptions = new BrokerOptions { DataDirectory = dataDirectory };
var done = new JobLedger();
bool ok = true;
if (kafka is null)
{
    Console.WriteLine($"Data directory: {dataDirectory}");
}
else
{
    string run = Guid.NewGuid().ToString("N")[..8];
    (Jobs.Topic, Jobs.Group) = ($"jobs-{run}", $"workers-{run}");
    Console.WriteLine($"Kafka cluster: {kafka}, topic {Jobs.Topic}");
}

// The one place that knows which store it is: everything below works on IClientSupplier.
async ValueTask<IClientSupplier> OpenAsync() => kafka is null
    ? await Broker.OpenAsync(brokerOptions)
    : new KafkaClientSupplier(new KafkaClientSupplierOptions { BootstrapServers = kafka });

// 1. Three competing workers share 60 jobs.
await using (IClientSupplier broker = await OpenAsync())
{
    await broker.CreateTopicAsync(Jobs.Topic, new TopicConfig { Partitions = 6 });
    // All three join the group before any job is taken, so that the first assignment already shares the partitions.
    Worker[] workers = [new(broker, "worker-1", done), new(broker, "worker-2", done), new(broker, "worker-3", done)];
    await Jobs.EnqueueAsync(broker, first: 0, count: 60);
    using var allDone = new CancellationTokenSource();
    done.WhenCount(60, allDone.Cancel);
    await Task.WhenAll(workers.Select(w => w.RunAsync(maxJobs: int.MaxValue, allDone.Token)));
    foreach (Worker w in workers)
    {
        Console.WriteLine($"  {w.Name} processed {w.Processed,2} jobs from partitions {string.Join(", ", w.Partitions.Order())}");
        await w.DisposeAsync();
    }
    ok &= Report(done, expected: 60);
}
Console.WriteLine("Closed the store (a restart of the process).");

// 2. After the restart: one worker takes 10 jobs and stops; a new one resumes exactly after its last commit.
await using (IClientSupplier broker = await OpenAsync())
{
    await Jobs.EnqueueAsync(broker, first: 60, count: 30);
    await using (var early = new Worker(broker, "worker-A", done))
    {
        await early.RunAsync(maxJobs: 10, CancellationToken.None);
        Console.WriteLine($"  {early.Name} processed {early.Processed} jobs (none of the 60 already done) and stopped");
    }

    await using var late = new Worker(broker, "worker-B", done);
    IReadOnlyDictionary<TopicPartition, long?> committed = await late.CommittedOffsetsAsync();
    using var allDone = new CancellationTokenSource();
    done.WhenCount(90, allDone.Cancel);
    await late.RunAsync(maxJobs: int.MaxValue, allDone.Token);
    foreach ((TopicPartition tp, long? offset) in committed.OrderBy(c => c.Key.Partition))
    {
        long? resumedAt = late.FirstOffsets.TryGetValue(tp, out long first) ? first : null;
        bool resumedRight = resumedAt is null || resumedAt == offset;
        ok &= resumedRight;
        Console.WriteLine($"  {tp}: committed {offset}, {late.Name} resumed at {(resumedAt?.ToString() ?? "(no job left there)")}{(resumedRight ? "" : "  WRONG")}");
    }
    Console.WriteLine($"  {late.Name} processed the other {late.Processed} jobs");
    ok &= Report(done, expected: 90);
}

if (kafka is null)
    Directory.Delete(dataDirectory, recursive: true);
return ok ? 0 : 1;

static bool Report(JobLedger done, int expected)
{
    bool exactlyOnce = done.Count == expected && done.Duplicates == 0;
    Console.WriteLine(exactlyOnce
        ? $"All {expected} jobs enqueued so far were processed exactly once."
        : $"Expected {expected} jobs processed once each; got {done.Count} distinct jobs and {done.Duplicates} repeats.");
    return exactlyOnce;
}
