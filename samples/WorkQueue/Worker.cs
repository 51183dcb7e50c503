using LogStore;

namespace WorkQueue;

/// <summary>
/// One competing consumer of the queue: a member of the "workers" group that processes the jobs of the partitions the
/// group gives it and commits each job's offset right after processing it (at-least-once; since partitions only move
/// between members inside ConsumeAsync, a job processed and committed is never handed to another worker).
/// </summary>
internal sealed class Worker : IAsyncDisposable
{
    private readonly IClientSupplier _clients;
    private readonly IConsumer<int, string> _consumer;
    private readonly JobLedger _ledger;
    private readonly HashSet<TopicPartition> _partitions = [];
    private readonly Dictionary<TopicPartition, long> _firstOffsets = [];

    public Worker(IClientSupplier clients, string name, JobLedger ledger)
    {
        Name = name;
        _clients = clients;
        _ledger = ledger;
        _consumer = clients.CreateConsumer<int, string>(new ConsumerOptions
        {
            GroupId = Jobs.Group,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,   // commit exactly when a job is done, not on a timer
        });
        _consumer.Subscribe([Jobs.Topic]);
    }

    public string Name { get; }

    public int Processed { get; private set; }

    /// <summary>The partitions this worker took jobs from.</summary>
    public IEnumerable<int> Partitions => _partitions.Select(p => p.Partition);

    /// <summary>The offset of the first job this worker took from each partition.</summary>
    public IReadOnlyDictionary<TopicPartition, long> FirstOffsets => _firstOffsets;

    /// <summary>Processes jobs until <paramref name="maxJobs"/> are done or <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(int maxJobs, CancellationToken cancellationToken)
    {
        try
        {
            while (Processed < maxJobs)
            {
                ConsumeResult<int, string>? job = await _consumer.ConsumeAsync(Timeout.InfiniteTimeSpan, cancellationToken);
                if (job is null)
                    continue;
                _partitions.Add(job.TopicPartition);
                _firstOffsets.TryAdd(job.TopicPartition, job.Offset);
                _ = Process(job.Message.Value);
                _ledger.Processed(job.Message.Key, Name);
                Processed++;
                _consumer.Commit([new TopicPartitionOffset(job.TopicPartition, job.Offset + 1)]);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Every job is done.
        }
    }

    /// <summary>The group's committed offset of each partition of the queue: where a worker starting now begins.</summary>
    public async Task<IReadOnlyDictionary<TopicPartition, long?>> CommittedOffsetsAsync()
    {
        var committed = new Dictionary<TopicPartition, long?>();
        foreach (TopicPartition partition in await _clients.PartitionsForAsync(Jobs.Topic))
            committed[partition] = _consumer.Committed(partition);
        return committed;
    }

    /// <summary>Leaves the group: its partitions go to the remaining workers.</summary>
    public ValueTask DisposeAsync() => _consumer.DisposeAsync();

    // Stands in for real work (resizing an image): a little CPU, no waiting.
    private static int Process(string what) => what.GetHashCode(StringComparison.Ordinal);
}
