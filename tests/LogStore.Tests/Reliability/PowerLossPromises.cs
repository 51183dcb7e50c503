using System.Text;
using LogStore.CrashHost;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Reliability;

/// <summary>
/// The promises of README's guarantees table that <see cref="CrashLoopChecker"/> does not check itself, as the power-loss
/// loop acknowledges them: a created topic is there with its partitions and the records acknowledged in it; a log start
/// offset that retention moved never moves back (deleted records never reappear); an acknowledged offset commit of a
/// group is there (or a later one that was in flight); and the recovered log takes the next append at its end.
/// </summary>
/// <remarks>The loop tells it what was acknowledged only once the call that acknowledged it has returned; an image taken
/// while a call was in flight is checked against what was acknowledged before that call.</remarks>
internal sealed class PowerLossPromises
{
    /// <summary>The group whose commits the <c>groups</c> case acknowledges.</summary>
    public const string Group = "power-loss-group";

    private readonly Dictionary<string, (int Partitions, int Records)> _topics = new(StringComparer.Ordinal);
    private readonly HashSet<long> _requestedCommits = [];
    private long? _acknowledgedCommit;
    private long _acknowledgedLogStart;

    public int TopicsCreated => _topics.Count;

    public int CommitsAcknowledged { get; private set; }

    /// <summary>A topic creation returned, and then an append of <paramref name="records"/> records to its partition 0
    /// (a topic of <see cref="TopicRecordsConfig"/>: every append is fsynced).</summary>
    public void TopicCreated(string name, int partitions, int records) => _topics[name] = (partitions, records);

    /// <summary>A commit of <paramref name="offset"/> was asked for (it may land even if the call never returns).</summary>
    public void CommitRequested(long offset) => _requestedCommits.Add(offset);

    /// <summary>The commit of <paramref name="offset"/> returned.</summary>
    public void CommitAcknowledged(long offset)
    {
        _acknowledgedCommit = offset;
        CommitsAcknowledged++;
    }

    /// <summary>Retention or DeleteRecords returned with the log start offset at <paramref name="logStart"/>.</summary>
    public void LogStartAcknowledged(long logStart) => _acknowledgedLogStart = Math.Max(_acknowledgedLogStart, logStart);

    /// <summary>The topics the <c>topics</c> case creates: one-record appends, each fsynced.</summary>
    public static TopicConfig TopicRecordsConfig(int partitions) => new()
    {
        Partitions = partitions,
        SegmentBytes = 1 << 10,
        SegmentIndexBytes = 4 << 10,
        IndexIntervalBytes = 128,
        FlushMessages = 1,
        RetentionTime = null,
    };

    public static byte[] TopicValue(string topic, int i) => Encoding.UTF8.GetBytes($"{topic}#{i}");

    /// <summary>Checks an opened image; <paramref name="partition"/> is the crash topic's, already checked.</summary>
    public async Task CheckAsync(Broker broker, Partition partition, string where)
    {
        Assert.That(partition.LogStartOffset, Is.GreaterThanOrEqualTo(_acknowledgedLogStart),
            $"{where}: the log start is {partition.LogStartOffset}, but retention had moved it to {_acknowledgedLogStart}: deleted records reappeared.");
        foreach ((string name, (int partitions, int records)) in _topics)
            await CheckTopicAsync(broker, name, partitions, records, where);
        if (_requestedCommits.Count > 0)
            await CheckCommitAsync(broker, partition.LogEndOffset, where);

        // No offset is reused: the next append lands at the recovered log end, which lies past every acknowledged record.
        long end = partition.LogEndOffset;
        using var builder = new RecordBatchBuilder();
        builder.Append(Batches.BaseTime, Encoding.UTF8.GetBytes(CrashRecords.Key(end, compact: false)), Encoding.UTF8.GetBytes(CrashRecords.Value(end)));
        AppendResult appended = await partition.AppendAsync(builder.Build());
        Assert.That(appended.BaseOffset, Is.EqualTo(end), $"{where}: the first append after the power loss got offset {appended.BaseOffset}.");
        using FetchResult fetch = await partition.ReadAsync(end, 1 << 16);
        Assert.That(fetch.IsEmpty, Is.False, $"{where}: the append after the power loss does not read back.");
    }

    private static async Task CheckTopicAsync(Broker broker, string name, int partitions, int records, string where)
    {
        Assert.That(broker.TryGetTopic(name, out Topic? topic), Is.True, $"{where}: topic '{name}' was created, but it is gone.");
        Assert.That(topic!.Partitions, Has.Count.EqualTo(partitions), $"{where}: topic '{name}' partitions.");
        Partition first = topic.Partitions[0];
        Assert.That(first.LogEndOffset, Is.GreaterThanOrEqualTo(records), $"{where}: {records} records were acknowledged in '{name}', its log ends at {first.LogEndOffset}.");
        int seen = 0;
        while (seen < records)
        {
            using FetchResult fetch = await first.ReadAsync(seen, 1 << 16);
            Assert.That(fetch.IsEmpty, Is.False, $"{where}: '{name}' read nothing at {seen}.");
            foreach (RecordBatch batch in fetch)
            {
                Assert.That(batch.IsValid, Is.True, $"{where}: '{name}' batch at {batch.BaseOffset} fails its CRC.");
                foreach (Record record in batch)
                {
                    Assert.That(record.Offset, Is.EqualTo(seen), $"{where}: '{name}' offsets.");
                    Assert.That(record.Value.ToArray(), Is.EqualTo(TopicValue(name, seen)), $"{where}: '{name}' value at {seen}.");
                    if (++seen == records)
                        return;
                }
            }
        }
    }

    private async Task CheckCommitAsync(Broker broker, long logEnd, string where)
    {
        var tp = new TopicPartition(CrashRecords.Topic, 0);
        long? committed;
        await using (IConsumer<string, string> consumer = broker.CreateConsumer<string, string>(new ConsumerOptions { GroupId = Group }))
            committed = consumer.Committed(tp);
        if (_acknowledgedCommit is long acknowledged)
        {
            Assert.That(committed, Is.Not.Null, $"{where}: the commit of {acknowledged} was acknowledged, but nothing is committed.");
            Assert.That(committed, Is.GreaterThanOrEqualTo(acknowledged), $"{where}: committed {committed}, but {acknowledged} was acknowledged.");
        }
        if (committed is long c)
        {
            Assert.That(_requestedCommits, Does.Contain(c), $"{where}: committed {c}, which was never asked for.");
            Assert.That(c, Is.LessThanOrEqualTo(logEnd), $"{where}: committed {c} lies past the log end {logEnd}.");
        }
    }
}
