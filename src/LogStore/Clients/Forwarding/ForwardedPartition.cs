using LogStore.Records;

namespace LogStore.Clients.Forwarding;

/// <summary>
/// One partition's batches of a sender round whose leader is not this node: built and stamped in seal order, sent one
/// at a time (the next only once the one before is settled, Kafka's max.in.flight.requests.per.connection=1 per
/// partition), so the leader receives them in order and a retry never overtakes the batch after it. Reused across
/// rounds; touched by the sender task only, except the attempt's result, which one request task writes while the
/// sender awaits it.
/// </summary>
internal sealed class ForwardedPartition
{
    public ProducerPartition Partition { get; private set; } = null!;

    /// <summary>The round's batches that were built, in seal order.</summary>
    public List<ProducerBatch> Batches { get; } = [];

    /// <summary>What each of <see cref="Batches"/> was built into (its builder's memory, kept until the round ends).</summary>
    public List<RecordBatch> Built { get; } = [];

    /// <summary>The index of the batch being sent: those before it are settled.</summary>
    public int Next { get; set; }

    public bool HasNext => Next < Batches.Count;

    public ProducerBatch Head => Batches[Next];

    public RecordBatch HeadBuilt => Built[Next];

    /// <summary>The last retriable failure of the head batch (NOT_LEADER_OR_FOLLOWER, a network failure), reported if
    /// the delivery timeout passes before it is appended.</summary>
    public LogStoreException? LastError { get; set; }

    /// <summary>Whether a request holding the head batch may have reached a leader that appended it: then only the
    /// leader's duplicate check, never a renumbering, can make a later send safe.</summary>
    public bool MayHaveAppended { get; set; }

    /// <summary>How many of the first <see cref="Batches"/> were appended by this node while it led and may be on the
    /// new leader already: each starts as <see cref="MayHaveAppended"/>.</summary>
    public int Uncertain { get; set; }

    /// <summary>The current attempt's result, set by its request task.</summary>
    public ForwardAttempt Attempt { get; set; }

    public void Reset(ProducerPartition partition)
    {
        Partition = partition;
        Batches.Clear();
        Built.Clear();
        Next = 0;
        LastError = null;
        MayHaveAppended = false;
        Uncertain = 0;
        Attempt = default;
    }

    public void Add(ProducerBatch batch, RecordBatch built)
    {
        Batches.Add(batch);
        Built.Add(built);
    }
}

/// <summary>How one attempt to append a forwarded partition's head batch ended.</summary>
internal enum ForwardOutcome
{
    /// <summary>Not attempted in this pass.</summary>
    None,

    /// <summary>The leader appended it (or had it already: a retry the leader recognised).</summary>
    Appended,

    /// <summary>Not the leader any more, no leader, or the network failed: send it again to the next image's leader.</summary>
    Retry,

    /// <summary>Refused for good before anything was appended (too large, corrupt, out of sequence): its sequence is free.</summary>
    NotAppended,

    /// <summary>Appended, but the acknowledgement the producer asked for failed (the in-sync replicas did not follow in
    /// time): its sequence is used.</summary>
    AppendedButFailed,
}

/// <summary>The result of one attempt: where the batch landed, or why not.</summary>
internal readonly record struct ForwardAttempt(ForwardOutcome Outcome, LogStoreException? Error, long BaseOffset, DateTimeOffset? LogAppendTime,
    bool Sent);
