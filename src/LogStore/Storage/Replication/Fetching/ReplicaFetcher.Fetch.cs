using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using LogStore.Diagnostics;
using LogStore.Network.Client;
using LogStore.Protocol;

namespace LogStore.Storage.Replication.Fetching;

/// <summary>The fetch: one request for every partition ready, and each partition's answer applied — batches appended
/// verbatim, the high watermark taken, a diverging epoch truncated, errors sorted into retry, fence and stop.</summary>
internal sealed partial class ReplicaFetcher
{
    // Reused by the loop (one fetch at a time, applied under the lock): no allocation per batch.
    private readonly List<RecordBatch> _batches = [];
    private AppendResult[] _results = new AppendResult[16];

    private async ValueTask FetchAsync(KafkaClientConnection connection, List<PartitionFetchState> states, CancellationToken cancellationToken)
    {
        var sent = new Dictionary<TopicPartition, (PartitionFetchState State, long FetchOffset, int LastFetchedEpoch)>();
        var names = new Dictionary<Guid, string>();
        FetchRequest request;
        short version;
        lock (_lock)
        {
            if (_options.FlushBeforeFetch)
                FlushAppended(states);
            bool byId = _fetchVersion >= 13;
            foreach (PartitionFetchState state in states)
                byId &= state.TopicId != Guid.Empty;
            version = byId ? _fetchVersion : (short)12;
            request = NewFetchRequest(version);
            var topics = new Dictionary<string, FetchRequest.Topic>();
            foreach (PartitionFetchState state in states)
            {
                if (!IsCurrent(state, FetchPhase.Fetching))
                    continue;
                PartitionLog log = state.Replica.Log;
                if (!topics.TryGetValue(state.Id.Topic, out FetchRequest.Topic? topic))
                {
                    topics[state.Id.Topic] = topic = new FetchRequest.Topic { Name = state.Id.Topic, TopicId = state.TopicId };
                    request.Topics.Add(topic);
                    names[state.TopicId] = state.Id.Topic;
                }
                var partition = new FetchRequest.Partition
                {
                    PartitionIndex = state.Id.Partition,
                    CurrentLeaderEpoch = state.LeaderEpoch,
                    FetchOffset = log.LogEndOffset,
                    LastFetchedEpoch = log.LeaderEpochCache.LatestEpoch,
                    LogStartOffset = log.LogStartOffset,
                    PartitionMaxBytes = _options.MaxBytesPerPartition,
                };
                topic.Partitions.Add(partition);
                sent[state.Id] = (state, partition.FetchOffset, partition.LastFetchedEpoch);
            }
        }
        if (sent.Count == 0)
            return;
        long sending = _time.GetTimestamp();
        // The records are a pooled buffer until the lease ends: appended (copied into the log) under the lock, never kept.
        using LeasedResponse<FetchResponse> leased = await connection.SendLeasedAsync<FetchRequest, FetchResponse>(request, version,
            _options.RequestTimeout + _options.MaxWait, cancellationToken).ConfigureAwait(false);
        FetchResponse response = leased.Response;
        long answered = _time.GetTimestamp();
        long bytes = 0;
        lock (_lock)
        {
            foreach (FetchResponse.TopicResponse topic in response.Topics)
            {
                string? name = version >= 13 ? names.GetValueOrDefault(topic.TopicId) : topic.Name;
                if (name is null)
                    continue;
                foreach (FetchResponse.PartitionData data in topic.Partitions)
                {
                    if (!sent.Remove(new TopicPartition(name, data.PartitionIndex), out var entry) || !IsCurrent(entry.State, FetchPhase.Fetching))
                        continue;
                    bytes += data.Records?.Length ?? 0;
                    if (response.ErrorCode != ErrorCode.None)
                        Delay(entry.State, response.ErrorCode);
                    else
                        ProcessPartitionData(entry.State, entry.FetchOffset, entry.LastFetchedEpoch, data);
                }
            }
            if (response.ErrorCode != ErrorCode.None)
            {
                foreach ((PartitionFetchState state, _, _) in sent.Values)
                    Delay(state, response.ErrorCode);
            }
        }
        LogStoreMetrics.RecordFollowerFetch(_options.NodeId, LeaderId, bytes, _time.GetElapsedTime(sending, answered), _time.GetElapsedTime(answered));
    }

    private FetchRequest NewFetchRequest(short version)
    {
        var request = new FetchRequest
        {
            MaxWaitMs = (int)_options.MaxWait.TotalMilliseconds,
            MinBytes = 1,
            MaxBytes = _options.ResponseMaxBytes,
            IsolationLevel = 0,
            // A full fetch without a session (KIP-227 sessions would save the partition list; one leader's set is small).
            SessionId = 0,
            SessionEpoch = -1,
        };
        if (version >= 15)
            request.ReplicaState = new FetchRequest.ReplicaStateData { ReplicaId = _options.NodeId, ReplicaEpoch = -1 };
        else
            request.ReplicaId = _options.NodeId;
        return request;
    }

    /// <summary>One partition's answer. Under the lock.</summary>
    private void ProcessPartitionData(PartitionFetchState state, long fetchOffset, int lastFetchedEpoch, FetchResponse.PartitionData data)
    {
        switch (data.ErrorCode)
        {
            case ErrorCode.None:
                break;
            case ErrorCode.FencedLeaderEpoch:
                Fence(state, data.ErrorCode);
                return;
            case ErrorCode.OffsetOutOfRange:
                HandleOffsetOutOfRange(state, data);
                return;
            default:
                Delay(state, data.ErrorCode);
                return;
        }
        if (data.DivergingEpoch is { } diverging)
        {
            // KIP-595's shortcut: the leader compared our last fetched epoch itself; truncate as for its OffsetForLeaderEpoch answer.
            state.ProbedEpoch = null;
            ApplyEpochAnswer(state, lastFetchedEpoch, diverging.Epoch, diverging.EndOffset);
            return;
        }
        try
        {
            // The log end moves only through this fetcher: another end means the answer is for a log that changed since.
            if (state.Replica.LogEndOffset != fetchOffset)
                return;
            Append(state, data);
            state.Lag = data.HighWatermark - state.Replica.LogEndOffset;
        }
        catch (Exception e) when (e is LogStoreException or InvalidOperationException or ObjectDisposedException)
        {
            Fail(state, e);
        }
    }

    /// <summary>Appends the whole batches of <paramref name="data"/> and takes the leader's high watermark. A trailing
    /// partial batch (a leader may cut the last one at the byte limit) is left for the next fetch; a batch that is not one
    /// stops the partition after the good ones before it.</summary>
    private void Append(PartitionFetchState state, FetchResponse.PartitionData data)
    {
        ReadOnlySequence<byte> records = data.Records ?? ReadOnlySequence<byte>.Empty;
        // The connection's response is one array, so this is a slice of it; a copy only for a foreign sequence.
        ReadOnlyMemory<byte> bytes = records.IsSingleSegment ? records.First : records.ToArray();
        CorruptRecordException? corrupt = Split(bytes, _batches);
        try
        {
            if (_batches.Count > 0)
            {
                if (_results.Length < _batches.Count)
                    _results = new AppendResult[Math.Max(_batches.Count, _results.Length * 2)];
                int appended = state.Replica.AppendAsFollower(CollectionsMarshal.AsSpan(_batches), data.HighWatermark,
                    _results.AsSpan(0, _batches.Count), out LogStoreException? error);
                if (error is UnexpectedAppendOffsetException && StartsInsideFirstBatch(state.Replica, _batches[0]))
                {
                    appended = state.Replica.AppendAsFollower(CollectionsMarshal.AsSpan(_batches), data.HighWatermark,
                        _results.AsSpan(0, _batches.Count), out error);
                }
                state.Unflushed |= appended > 0;
                if (error is UnexpectedAppendOffsetException)
                {
                    // Not where this log ends: find where the logs agree again before fetching on.
                    state.Phase = FetchPhase.Truncating;
                    return;
                }
                if (error is not null)
                {
                    Fail(state, error);
                    return;
                }
            }
            else
            {
                state.Replica.AdvanceHighWatermark(Math.Min(data.HighWatermark, state.Replica.LogEndOffset));
            }
            if (corrupt is not null)
            {
                Fail(state, corrupt);
                return;
            }
            // Kafka's follower follows the leader's log start (DeleteRecords, retention) within what is committed here.
            if (data.LogStartOffset > state.Replica.Log.LogStartOffset && data.LogStartOffset <= state.Replica.HighWatermark)
                state.Replica.DeleteRecordsBefore(data.LogStartOffset);
        }
        finally
        {
            _batches.Clear();
        }
    }

    /// <summary>
    /// An empty log whose start falls inside the leader's first batch (the leader's log start was moved into a batch, by
    /// DeleteRecords): the batch cannot be cut, so the log starts over at the batch's base, as Kafka's follower does.
    /// </summary>
    private bool StartsInsideFirstBatch(PartitionReplica replica, RecordBatch first)
    {
        PartitionLog log = replica.Log;
        long logEnd = log.LogEndOffset;
        if (logEnd != log.LogStartOffset || first.BaseOffset >= logEnd || first.LastOffset < logEnd || replica.Role != ReplicaRole.Follower)
            return false;
        ReplicaFetcherLog.StartedOver(_logger, replica.Id, first.BaseOffset, logEnd);
        log.TruncateFullyAndStartAt(first.BaseOffset);
        Stats.Truncated();
        return true;
    }

    /// <summary>Splits <paramref name="bytes"/> into whole batches; returns why the bytes stopped being batches, or null.</summary>
    internal static CorruptRecordException? Split(ReadOnlyMemory<byte> bytes, List<RecordBatch> batches)
    {
        int position = 0;
        while (bytes.Length - position >= RecordBatch.LogOverhead)
        {
            ReadOnlySpan<byte> span = bytes.Span[position..];
            int batchLength = BinaryPrimitives.ReadInt32BigEndian(span[8..]);
            if (batchLength < RecordBatch.HeaderSize - RecordBatch.LogOverhead)
                return new CorruptRecordException($"A batch from the leader at byte {position} claims a length of {batchLength}, below the header's.");
            long size = RecordBatch.LogOverhead + (long)batchLength;
            if (size > span.Length)
                break;
            try
            {
                batches.Add(RecordBatch.Parse(bytes.Slice(position, (int)size)));
            }
            catch (CorruptRecordException e)
            {
                return e;
            }
            position += (int)size;
        }
        return null;
    }

    /// <summary>
    /// The fetch offset is outside the leader's log. Past its start: the leader removed what this log would fetch next
    /// (retention), so the log starts over at the leader's start, which a LogStore leader sends with the error (Kafka's
    /// sends -1 and its follower asks ListOffsets: not done here). Otherwise this log is ahead of the leader's end: find
    /// the point of agreement by epoch again, after the backoff. Under the lock.
    /// </summary>
    private void HandleOffsetOutOfRange(PartitionFetchState state, FetchResponse.PartitionData data)
    {
        PartitionReplica replica = state.Replica;
        try
        {
            long logEnd = replica.LogEndOffset;
            // A log start above the leader's own high watermark cannot be (it never passes it): never start over for one.
            bool plausible = data.HighWatermark < 0 || data.LogStartOffset <= data.HighWatermark;
            if (data.LogStartOffset > logEnd && plausible)
            {
                // The owner removes a partition from its fetcher before it leads it; a leader's log is never started over.
                if (replica.Role != ReplicaRole.Follower)
                    throw new InvalidOperationException($"{state.Id}: only a follower's log starts over at the leader's log start; this replica is {replica.Role}.");
                ReplicaFetcherLog.StartedOver(_logger, state.Id, data.LogStartOffset, logEnd);
                replica.Log.TruncateFullyAndStartAt(data.LogStartOffset);
                Stats.Truncated();
                // The leader's log start is at or below its high watermark: committed.
                replica.AdvanceHighWatermark(data.LogStartOffset);
                state.Unflushed = true;
                return;
            }
            state.Phase = FetchPhase.Truncating;
            Delay(state, ErrorCode.OffsetOutOfRange);
        }
        catch (Exception e) when (e is LogStoreException or NotSupportedException or InvalidOperationException or ObjectDisposedException)
        {
            Fail(state, e);
        }
    }

    /// <summary>Fsyncs what the last fetch appended, so the log end the next fetch reports is durable. Under the lock.</summary>
    private void FlushAppended(List<PartitionFetchState> states)
    {
        foreach (PartitionFetchState state in states)
        {
            if (!state.Unflushed || !IsCurrent(state, FetchPhase.Fetching))
                continue;
            try
            {
                state.Replica.Log.Flush();
                state.Unflushed = false;
            }
            catch (Exception e) when (e is LogStoreException or ObjectDisposedException)
            {
                Fail(state, e);
            }
        }
    }
}
