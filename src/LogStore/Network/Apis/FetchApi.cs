using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using LogStore.Network.Apis.FetchSessions;
using LogStore.Protocol;

namespace LogStore.Network.Apis;

/// <summary>
/// Fetch: whole batches from each partition's offset, within the partition's and the response's byte limits (at least
/// one batch for the first partition with data, as Kafka does, so a batch larger than the limit still gets through).
/// When nothing is there yet, waits up to the request's <c>max_wait_ms</c> for an append to any of its partitions
/// (Kafka's delayed fetch). Reads stop at the high watermark. Topics are named by id from v13 on (an unknown id is
/// UNKNOWN_TOPIC_ID, answered with the id). Incremental fetch sessions (KIP-227, <see cref="FetchManager"/>) decide
/// which partitions are read and which the response carries; sessionless fetches (librdkafka's) are answered in full.
/// A fetch with a replica id is a follower's (see FetchApi.Follower.cs): it reads to the log end and reports the
/// follower's log end to the leader.
/// </summary>
internal sealed partial class FetchApi(Broker broker, TimeProvider time)
{
    // One cache per broker, whichever listener a client comes through: sessions outlive connections, as in Kafka.
    private readonly FetchManager _sessions = new(broker.GetService(_ => new FetchSessionCache()), time);

    internal FetchManager Sessions => _sessions;

    /// <summary>The response and the file regions its records are: the response frame they are encoded into owns them
    /// (disposing it releases them); if it is never encoded, dispose their leases. <paramref name="closing"/> is cancelled
    /// when the connection is to close (the listener stops): a long poll ends then, answered as at its max wait.</summary>
    public async ValueTask<(FetchResponse Response, List<FileRegion> Reads)> HandleAsync(FetchRequest request, short version, CancellationToken cancellationToken,
        CancellationToken closing = default)
    {
        FetchContext context = _sessions.NewContext(request, version);
        bool byId = version >= 13;
        int replicaId = ReplicaIdOf(request, version);
        long started = time.GetTimestamp();
        TimeSpan maxWait = TimeSpan.FromMilliseconds(Math.Max(0, request.MaxWaitMs));
        while (true)
        {
            (FetchResponse response, List<FileRegion> reads, int bytes) = Read(context.Topics, request.MaxBytes, byId, replicaId, version);
            TimeSpan remaining = maxWait - time.GetElapsedTime(started);
            // Nothing to read (a session error, an empty request) is answered at once, as Kafka does; so is a
            // follower's diverged tail, which it must cut before any record can come.
            if (context.Topics.Count == 0 || bytes >= Math.Max(1, request.MinBytes) || remaining <= TimeSpan.Zero || closing.IsCancellationRequested
                || HasErrorOrDivergence(response))
            {
                context.UpdateAndGenerateResponseData(response, _sessions.NowMs);
                return (response, RegionsOf(response, reads));
            }
            foreach (FileRegion read in reads)
                read.Lease?.Dispose();
            await WaitForAppendAsync(context.Topics, response, byId, replicaId >= 0, remaining, cancellationToken, closing).ConfigureAwait(false);
        }
    }

    private (FetchResponse Response, List<FileRegion> Reads, int Bytes) Read(IReadOnlyList<FetchRequest.Topic> topics, int maxBytes, bool byId,
        int replicaId, short version)
    {
        var response = new FetchResponse();
        var reads = new List<FileRegion>();
        int budget = maxBytes <= 0 ? int.MaxValue : maxBytes;
        int total = 0;
        foreach (FetchRequest.Topic topic in topics)
        {
            Topic? found = Lookup(topic, byId);
            var topicResponse = new FetchResponse.TopicResponse { Name = found?.Name ?? topic.Name, TopicId = topic.TopicId };
            foreach (FetchRequest.Partition wanted in topic.Partitions)
            {
                // Empty, never null: clients read a null record set as a protocol error.
                var data = new FetchResponse.PartitionData { PartitionIndex = wanted.PartitionIndex, HighWatermark = -1, Records = ReadOnlySequence<byte>.Empty };
                topicResponse.Partitions.Add(data);
                if (found is null || (uint)wanted.PartitionIndex >= (uint)found.Partitions.Count)
                {
                    data.ErrorCode = found is null && byId ? ErrorCode.UnknownTopicId : ErrorCode.UnknownTopicOrPartition;
                    continue;
                }
                Partition partition = found.Partitions[wanted.PartitionIndex];
                try
                {
                    data.HighWatermark = partition.HighWatermark;
                    data.LastStableOffset = data.HighWatermark;
                    data.LogStartOffset = partition.LogStartOffset;
                    // KIP-320: a request that names the leader epoch it knows is refused when that is not ours.
                    if (LeaderEpochError(partition.Replica, wanted.CurrentLeaderEpoch) is { } epochError)
                    {
                        data.ErrorCode = epochError;
                        continue;
                    }
                    int limit = Math.Min(wanted.PartitionMaxBytes, budget - total);
                    // Past the response's budget only the first partition with data may exceed it (one whole batch).
                    // A follower's fetch past the budget still reports its log end (its fetch state), with no records.
                    bool overBudget = limit <= 0 && total > 0;
                    if (overBudget && replicaId < 0)
                        continue;
                    // The records leave as a range of the segment file: by sendfile on a plaintext socket, copied otherwise.
                    FileRegion? region = replicaId >= 0
                        ? ReadForFollower(partition.Replica, replicaId, wanted, overBudget ? 0 : Math.Max(1, limit), data, version)
                        : partition.Replica.ReadCommittedRegion(wanted.FetchOffset, Math.Max(1, limit));
                    if (region is { } read)
                    {
                        reads.Add(read);
                        data.RecordsFile = read;
                        total += read.Length;
                    }
                }
                catch (Exception e) when (e is LogStoreException or ObjectDisposedException)
                {
                    data.ErrorCode = ErrorCodes.FromException(e);
                }
            }
            response.Topics.Add(topicResponse);
        }
        return (response, reads, total);
    }

    /// <summary>The topic a request names, by id (v13+) or by name; null when there is none.</summary>
    private Topic? Lookup(FetchRequest.Topic topic, bool byId) =>
        (byId ? broker.TryGetTopic(topic.TopicId, out Topic? found) : broker.TryGetTopic(topic.Name, out found)) ? found : null;

    private bool TryGetPartition(FetchRequest.Topic topic, int index, bool byId, [NotNullWhen(true)] out Partition? partition)
    {
        Topic? found = Lookup(topic, byId);
        partition = found is not null && (uint)index < (uint)found.Partitions.Count ? found.Partitions[index] : null;
        return partition is not null;
    }

    /// <summary>The regions the finished response still carries (a session may have dropped some, releasing them).</summary>
    private static List<FileRegion> RegionsOf(FetchResponse response, List<FileRegion> reads)
    {
        reads.Clear();
        foreach (FetchResponse.TopicResponse topic in response.Topics)
        {
            foreach (FetchResponse.PartitionData data in topic.Partitions)
            {
                if (data.RecordsFile is { } region)
                    reads.Add(region);
            }
        }
        return reads;
    }

    private static bool HasErrorOrDivergence(FetchResponse response)
    {
        foreach (FetchResponse.TopicResponse topic in response.Topics)
        {
            foreach (FetchResponse.PartitionData data in topic.Partitions)
            {
                if (data.ErrorCode != ErrorCode.None || data.DivergingEpoch is not null)
                    return true;
            }
        }
        return false;
    }

    /// <summary>Waits until any partition of the request grows past what <paramref name="read"/> (the response just read,
    /// partition for partition) showed, or <paramref name="wait"/> ends: for a consumer past the high watermark it answered
    /// (on a single node the log end), for a follower past its fetch offset. Past what the read saw, not what is there now:
    /// what moved in between must end the wait, not be waited past.</summary>
    private async ValueTask WaitForAppendAsync(IReadOnlyList<FetchRequest.Topic> topics, FetchResponse read, bool byId, bool fromFollower,
        TimeSpan wait, CancellationToken cancellationToken, CancellationToken closing)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, closing);
        var waits = new List<Task<FetchResult>>();
        for (int t = 0; t < topics.Count; t++)
        {
            FetchRequest.Topic topic = topics[t];
            for (int p = 0; p < topic.Partitions.Count; p++)
            {
                FetchRequest.Partition wanted = topic.Partitions[p];
                FetchResponse.PartitionData seen = read.Topics[t].Partitions[p];
                if (!TryGetPartition(topic, wanted.PartitionIndex, byId, out Partition? partition) || seen.HighWatermark < 0)
                    continue;
                // Past what was read, not the fetch offset: data below min_bytes is there already and must not end the wait.
                try
                {
                    waits.Add(fromFollower
                        ? partition.Log.ReadAsync(seen.RecordsFile is null ? wanted.FetchOffset : partition.Log.LogEndOffset, 1, wait, stop.Token).AsTask()
                        : partition.ReadAsync(Math.Max(wanted.FetchOffset, seen.HighWatermark), 1, wait, stop.Token).AsTask());
                }
                catch (Exception e) when (e is LogStoreException or ObjectDisposedException)
                {
                    // A read refused at once (an offset past the log end) is nothing to wait for: the next read reports it.
                }
            }
        }
        if (waits.Count == 0)
        {
            try
            {
                await Task.Delay(wait, time, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Closing: answered at once by the caller.
            }
            return;
        }
        await Task.WhenAny(waits).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        foreach (Task<FetchResult> w in waits)
        {
            try
            {
                (await w.ConfigureAwait(false)).Dispose();
            }
            catch (Exception e) when (e is OperationCanceledException or LogStoreException or ObjectDisposedException)
            {
                // Cancelled once another partition answered, or an error the next read reports.
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
    }
}
