using System.Buffers;
using LogStore.Protocol;

namespace LogStore.Network.Apis;

/// <summary>
/// Fetch: whole batches from each partition's offset, within the partition's and the response's byte limits (at least
/// one batch for the first partition with data, as Kafka does, so a batch larger than the limit still gets through).
/// When nothing is there yet, waits up to the request's <c>max_wait_ms</c> for an append to any of its partitions
/// (Kafka's delayed fetch). Reads stop at the high watermark. Sessionless: every response is a full one (session id 0),
/// which librdkafka and the Java client accept.
/// </summary>
internal sealed class FetchApi(Broker broker, TimeProvider time)
{
    /// <summary>The response and the file regions its records are: the response frame they are encoded into owns them
    /// (disposing it releases them); if it is never encoded, dispose their leases.</summary>
    public async ValueTask<(FetchResponse Response, List<FileRegion> Reads)> HandleAsync(FetchRequest request, CancellationToken cancellationToken)
    {
        long started = time.GetTimestamp();
        TimeSpan maxWait = TimeSpan.FromMilliseconds(Math.Max(0, request.MaxWaitMs));
        while (true)
        {
            (FetchResponse response, List<FileRegion> reads, int bytes) = Read(request);
            TimeSpan remaining = maxWait - time.GetElapsedTime(started);
            if (bytes >= Math.Max(1, request.MinBytes) || remaining <= TimeSpan.Zero || HasError(response))
                return (response, reads);
            foreach (FileRegion read in reads)
                read.Lease?.Dispose();
            await WaitForAppendAsync(request, remaining, cancellationToken).ConfigureAwait(false);
        }
    }

    private (FetchResponse Response, List<FileRegion> Reads, int Bytes) Read(FetchRequest request)
    {
        var response = new FetchResponse();
        var reads = new List<FileRegion>();
        int budget = request.MaxBytes <= 0 ? int.MaxValue : request.MaxBytes;
        int total = 0;
        foreach (FetchRequest.Topic topic in request.Topics)
        {
            var topicResponse = new FetchResponse.TopicResponse { Name = topic.Name, TopicId = topic.TopicId };
            foreach (FetchRequest.Partition wanted in topic.Partitions)
            {
                // Empty, never null: clients read a null record set as a protocol error.
                var data = new FetchResponse.PartitionData { PartitionIndex = wanted.PartitionIndex, HighWatermark = -1, Records = ReadOnlySequence<byte>.Empty };
                topicResponse.Partitions.Add(data);
                if (!broker.TryGetPartition(topic.Name, wanted.PartitionIndex, out Partition? partition))
                {
                    data.ErrorCode = ErrorCode.UnknownTopicOrPartition;
                    continue;
                }
                try
                {
                    data.HighWatermark = partition.HighWatermark;
                    data.LastStableOffset = data.HighWatermark;
                    data.LogStartOffset = partition.LogStartOffset;
                    int limit = Math.Min(wanted.PartitionMaxBytes, budget - total);
                    // Past the response's budget only the first partition with data may exceed it (one whole batch).
                    if (limit <= 0 && total > 0)
                        continue;
                    // The records leave as a range of the segment file: by sendfile on a plaintext socket, copied otherwise.
                    if (partition.Log.ReadRegion(wanted.FetchOffset, Math.Max(1, limit)) is { } region)
                    {
                        reads.Add(region);
                        data.RecordsFile = region;
                        total += region.Length;
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

    private static bool HasError(FetchResponse response)
    {
        foreach (FetchResponse.TopicResponse topic in response.Topics)
        {
            foreach (FetchResponse.PartitionData data in topic.Partitions)
            {
                if (data.ErrorCode != ErrorCode.None)
                    return true;
            }
        }
        return false;
    }

    /// <summary>Waits until any partition of the request grows past its log end now, or <paramref name="wait"/> ends.</summary>
    private async ValueTask WaitForAppendAsync(FetchRequest request, TimeSpan wait, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var waits = new List<Task<FetchResult>>();
        foreach (FetchRequest.Topic topic in request.Topics)
        {
            foreach (FetchRequest.Partition wanted in topic.Partitions)
            {
                if (!broker.TryGetPartition(topic.Name, wanted.PartitionIndex, out Partition? partition))
                    continue;
                // At the log end, not the fetch offset: data below min_bytes is there already and must not end the wait.
                waits.Add(partition.ReadAsync(partition.LogEndOffset, 1, wait, stop.Token).AsTask());
            }
        }
        if (waits.Count == 0)
        {
            await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
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
