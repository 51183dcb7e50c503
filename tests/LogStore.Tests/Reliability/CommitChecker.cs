using LogStore.Clients.Groups;
using LogStore.CrashHost;

namespace LogStore.Tests.Reliability;

/// <summary>
/// The crash loop's checks for the <c>consume</c> mode (tests/LogStore.CrashHost/CommitMode.cs): the child prints
/// <c>COMMITTING o</c> before each <c>Commit</c> and <c>COMMIT o</c> once it returned, where o is one past the last
/// record it processed. After every kill the committed offset must be the last acknowledged commit or the one that was
/// in flight when the kill came (never an older one, never one the child did not ask for, never past the log end),
/// the next child must resume exactly there, and <c>__consumer_offsets</c> must hold every acknowledged commit, in
/// order, and nothing the child never asked for.
/// </summary>
internal sealed class CommitChecker
{
    private readonly HashSet<long> _requested = [];   // every COMMITTING value so far
    private readonly List<long> _acknowledged = [];   // every COMMIT value so far, increasing
    private long? _recovered;                         // what the previous check found committed (null: nothing)
    private long? _inFlight;                          // the last run's COMMITTING that got no COMMIT
    private bool _committedSinceCheck;

    /// <summary>Commits the children acknowledged.</summary>
    public long AcknowledgedCommits => _acknowledged.Count;

    /// <summary>Kills that came during a commit, after which the store held that commit.</summary>
    public int InFlightLanded { get; private set; }

    /// <summary>Kills that came during a commit, after which the store held the previous one.</summary>
    public int InFlightLost { get; private set; }

    /// <summary>Checks a child's own view: it resumed where the previous check found the committed offset, and its
    /// commits move forward, each acknowledged one exactly the value it announced.</summary>
    public void AcceptRun(int round, ChildRun run)
    {
        string where = $"Round {round} (consume)";
        if (run.Resume is long resume)
            Assert.That(resume < 0 ? null : (long?)resume, Is.EqualTo(_recovered), $"{where}: the child resumed at {resume}, but the crashed store's committed offset is {_recovered?.ToString() ?? "none"}.");
        else
            Assert.That(run.Commits, Is.Empty, $"{where}: commits without a RESUME line.");

        _inFlight = null;
        long previous = _recovered ?? 0;
        foreach ((bool done, long offset) in run.Commits)
        {
            if (!done)
            {
                Assert.That(_inFlight, Is.Null, $"{where}: COMMITTING {offset} while {_inFlight} got no COMMIT.");
                Assert.That(offset, Is.GreaterThan(previous), $"{where}: a commit of {offset} after {previous} does not move forward.");
                _requested.Add(offset);
                _inFlight = offset;
                _committedSinceCheck = true;
                continue;
            }
            Assert.That(offset, Is.EqualTo(_inFlight), $"{where}: COMMIT {offset} where {_inFlight} was requested.");
            _acknowledged.Add(offset);
            previous = offset;
            _inFlight = null;
        }
    }

    /// <summary>Checks the crashed store's committed offset and its topic <c>__consumer_offsets</c>.</summary>
    public async Task CheckAsync(Broker broker, long logEndOffset, string where)
    {
        var tp = new TopicPartition(CrashRecords.Topic, 0);
        long? committed;
        await using (IConsumer<string, string> consumer = broker.CreateConsumer<string, string>(new ConsumerOptions { GroupId = CrashRecords.Group }))
            committed = consumer.Committed(tp);

        long? lastAcknowledged = _acknowledged.Count == 0 ? null : _acknowledged[^1];
        if (_committedSinceCheck)
        {
            // The last acknowledged commit is durable; the one in flight may or may not have landed.
            bool allowed = committed == lastAcknowledged || (committed is not null && committed == _inFlight);
            Assert.That(allowed, Is.True,
                $"{where}: committed offset {committed?.ToString() ?? "none"}; the last acknowledged commit is {lastAcknowledged?.ToString() ?? "none"} and {_inFlight?.ToString() ?? "none"} was in flight.");
        }
        else
        {
            Assert.That(committed, Is.EqualTo(_recovered), $"{where}: the committed offset changed without a commit.");
        }
        Assert.That(committed ?? 0, Is.LessThanOrEqualTo(logEndOffset), $"{where}: committed offset {committed} is past the log end.");
        Assert.That(committed ?? 0, Is.GreaterThanOrEqualTo(lastAcknowledged ?? 0), $"{where}: an acknowledged commit was lost.");
        if (_committedSinceCheck && _inFlight is not null)
        {
            if (committed == _inFlight)
                InFlightLanded++;
            else
                InFlightLost++;
        }
        _recovered = committed;
        _committedSinceCheck = false;
        if (committed == _inFlight && committed is not null && (lastAcknowledged is null || committed > lastAcknowledged))
            _acknowledged.Add(committed.Value);   // it landed: later commits build on it
        _inFlight = null;

        CheckOffsetsTopic(broker, committed, where);
    }

    /// <summary>Every partition of <c>__consumer_offsets</c> reads back whole (valid batches, increasing offsets, indexes
    /// agreeing with the log); the group's records are the acknowledged commits in order, plus only commits the children
    /// requested, ending with the committed offset.</summary>
    private void CheckOffsetsTopic(Broker broker, long? committed, string where)
    {
        if (!broker.TryGetTopic(OffsetStore.TopicName, out Topic? topic))
        {
            Assert.That(committed, Is.Null, $"{where}: a committed offset without {OffsetStore.TopicName}.");
            return;
        }
        var values = new List<long>();
        foreach (Partition partition in topic.Partitions)
        {
            CrashLoopChecker.CheckOffsetIndexes(partition, $"{where} {partition.Id}");
            long next = partition.LogStartOffset, previous = next - 1;
            while (next < partition.LogEndOffset)
            {
                using FetchResult fetch = partition.Log.Read(next, 1 << 20);
                Assert.That(fetch.IsEmpty, Is.False, $"{where}: {partition.Id} read nothing at {next} below its log end {partition.LogEndOffset}.");
                foreach (RecordBatch batch in fetch)
                {
                    Assert.That(batch.IsValid, Is.True, $"{where}: {partition.Id} batch at {batch.BaseOffset} fails its CRC.");
                    foreach (Record record in batch)
                    {
                        Assert.That(record.Offset, Is.GreaterThan(previous), $"{where}: {partition.Id} offsets do not increase at {record.Offset}.");
                        previous = record.Offset;
                        Assert.That(OffsetCommitCodec.TryReadKey(record.Key, out string group, out TopicPartition tp), Is.True, $"{where}: {partition.Id} holds a record that is not a commit.");
                        if (group == CrashRecords.Group && tp == new TopicPartition(CrashRecords.Topic, 0) && !record.IsValueNull)
                            values.Add(OffsetCommitCodec.ReadValue(record.Value).Offset);
                    }
                    next = batch.NextOffset;
                }
            }
            Assert.That(previous, Is.EqualTo(partition.LogEndOffset - 1), $"{where}: {partition.Id} ends at {previous}, not just below its log end.");
        }

        for (int i = 0; i < values.Count; i++)
        {
            Assert.That(_requested, Does.Contain(values[i]), $"{where}: {OffsetStore.TopicName} holds commit {values[i]}, which no child requested.");
            if (i > 0)
                Assert.That(values[i], Is.GreaterThan(values[i - 1]), $"{where}: commit {values[i]} follows {values[i - 1]} in {OffsetStore.TopicName}.");
        }
        Assert.That(values, Is.SupersetOf(_acknowledged), $"{where}: an acknowledged commit is missing from {OffsetStore.TopicName}.");
        Assert.That(values.Count == 0 ? null : (long?)values[^1], Is.EqualTo(committed), $"{where}: the last commit record is not the committed offset.");
    }
}
