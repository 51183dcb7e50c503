using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using LogStore.Protocol;
using LogStore.Storage.Replication;

namespace LogStore.Network.Apis;

/// <summary>
/// Produce: each partition's record batches are validated and appended as an in-process append is (CRC, size,
/// timestamps, offsets assigned here), so a network producer can put nothing in a log that an in-process one could not;
/// they go in as one append, every one validated before any is written, as Kafka appends a request's records.
/// Only the leader appends (NOT_LEADER_OR_FOLLOWER with the leader it knows otherwise). acks 0 is answered not at all,
/// acks 1 after the leader's append, acks -1 once the high watermark passes every appended batch (Kafka's delayed
/// produce, bounded by the request's timeout: REQUEST_TIMED_OUT after it), and refused before anything is appended
/// when the ISR is smaller than min.insync.replicas (NOT_ENOUGH_REPLICAS, KIP-966). On a single node the leader's
/// append is every replica's, and acks -1 is answered as acks 1 is.
/// </summary>
internal sealed class ProduceApi(Broker broker)
{
    /// <summary>The response, or null for acks=0 (Kafka sends none).</summary>
    public ValueTask<ProduceResponse?> HandleAsync(ProduceRequest request, CancellationToken cancellationToken = default)
    {
        var response = new ProduceResponse();
        bool acksAll = request.Acks == -1;
        bool validAcks = request.Acks is -1 or 0 or 1;
        List<(PartitionReplica Replica, long RequiredOffset, ProduceResponse.PartitionResponse Result)>? waits = null;
        foreach (ProduceRequest.TopicData topic in request.Topics)
        {
            var topicResponse = new ProduceResponse.TopicResponse { Name = topic.Name };
            foreach (ProduceRequest.PartitionData data in topic.Partitions)
            {
                PartitionReplica? replica = null;
                long requiredOffset = 0;
                // Transactions are not supported: nothing of a transactional producer is appended.
                ProduceResponse.PartitionResponse result = !validAcks
                    ? new ProduceResponse.PartitionResponse { Index = data.Index, ErrorCode = ErrorCode.InvalidRequiredAcks, ErrorMessage = $"acks must be -1, 0 or 1, not {request.Acks}." }
                    : request.TransactionalId is not null
                    ? new ProduceResponse.PartitionResponse { Index = data.Index, ErrorCode = ErrorCode.TransactionalIdAuthorizationFailed, ErrorMessage = "Transactions are not supported." }
                    : Append(topic.Name, data, acksAll, out replica, out requiredOffset);
                topicResponse.Partitions.Add(result);
                // Alone, the high watermark is the log end: nothing to wait for, nothing allocated.
                if (acksAll && result.ErrorCode == ErrorCode.None && replica is not null && replica.HighWatermark < requiredOffset)
                    (waits ??= []).Add((replica, requiredOffset, result));
            }
            response.Topics.Add(topicResponse);
        }
        if (request.Acks == 0)
            return ValueTask.FromResult<ProduceResponse?>(null);
        return waits is null ? ValueTask.FromResult<ProduceResponse?>(response) : WaitForReplicasAsync(response, waits, request.TimeoutMs, cancellationToken);
    }

    /// <summary>Waits, within the request's timeout, for each partition's high watermark to pass what it appended.</summary>
    private async ValueTask<ProduceResponse?> WaitForReplicasAsync(ProduceResponse response,
        List<(PartitionReplica Replica, long RequiredOffset, ProduceResponse.PartitionResponse Result)> waits, int timeoutMs, CancellationToken cancellationToken)
    {
        TimeProvider time = broker.Options.TimeProvider;
        long started = time.GetTimestamp();
        TimeSpan timeout = TimeSpan.FromMilliseconds(Math.Max(0, timeoutMs));
        foreach ((PartitionReplica replica, long requiredOffset, ProduceResponse.PartitionResponse result) in waits)
        {
            TimeSpan remaining = timeout - time.GetElapsedTime(started);
            try
            {
                await replica.WaitForHighWatermarkAsync(requiredOffset, remaining < TimeSpan.Zero ? TimeSpan.Zero : remaining, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (NotLeaderException e)
            {
                SetError(result, e, replica);
            }
            catch (ReplicationTimeoutException e)
            {
                SetError(result, e, replica);
            }
        }
        return response;
    }

    private static void SetError(ProduceResponse.PartitionResponse result, LogStoreException e, PartitionReplica replica)
    {
        result.ErrorCode = ErrorCodes.FromException(e);
        result.ErrorMessage = e.Message;
        if (e is NotLeaderException notLeader)
            result.CurrentLeader = new LeaderIdAndEpoch { LeaderId = notLeader.LeaderId ?? -1, LeaderEpoch = replica.LeaderEpoch };
    }

    private ProduceResponse.PartitionResponse Append(string topic, ProduceRequest.PartitionData data, bool acksAll, out PartitionReplica? replica,
        out long requiredOffset)
    {
        var result = new ProduceResponse.PartitionResponse { Index = data.Index };
        replica = null;
        requiredOffset = 0;
        if (!broker.TryGetPartition(topic, data.Index, out Partition? partition))
        {
            result.ErrorCode = ErrorCode.UnknownTopicOrPartition;
            return result;
        }
        replica = partition.Replica;
        if (data.Records is not { Length: > 0 } records)
        {
            result.ErrorCode = ErrorCode.InvalidRecord;
            result.ErrorMessage = "The request holds no record batch.";
            return result;
        }
        // A batch is validated and appended from contiguous memory: the frame's own buffer when it is one segment (the
        // append writes the assigned offsets into it, which the frame allows while the request is handled), else a copy.
        int length = checked((int)records.Length);
        byte[]? copy = null;
        RecordBatch[]? batches = null;
        try
        {
            Memory<byte> bytes;
            if (records.IsSingleSegment)
            {
                bytes = MemoryMarshal.AsMemory(records.First);
            }
            else
            {
                copy = ArrayPool<byte>.Shared.Rent(length);
                records.CopyTo(copy);
                bytes = copy.AsMemory(0, length);
            }
            // KIP-966: refused before anything is appended, so a retry cannot duplicate.
            if (acksAll)
                replica.ThrowIfNotEnoughReplicas();
            // The partition's batches go in as one append, as Kafka appends a request's records: every one validated
            // before any is written, then one write.
            int count = 0;
            for (int position = 0; position < length; count++)
                position += BatchSize(bytes.Span[position..]);
            batches = ArrayPool<RecordBatch>.Shared.Rent(count);
            for (int i = 0, position = 0; i < count; i++)
            {
                int size = BatchSize(bytes.Span[position..]);
                batches[i] = RecordBatch.Parse(bytes.Slice(position, size));
                position += size;
            }
            AppendResult appended = partition.AppendAsync(batches.AsMemory(0, count)).GetAwaiter().GetResult();
            result.BaseOffset = appended.BaseOffset;
            result.LogAppendTimeMs = appended.LogAppendTime?.ToUnixTimeMilliseconds() ?? -1;
            result.LogStartOffset = appended.LogStartOffset;
            requiredOffset = appended.LastOffset + 1;
        }
        catch (Exception e) when (e is LogStoreException or ObjectDisposedException)
        {
            result.ErrorCode = ErrorCodes.FromException(e);
            result.ErrorMessage = e.Message;
            if (e is NotLeaderException notLeader)
                result.CurrentLeader = new LeaderIdAndEpoch { LeaderId = notLeader.LeaderId ?? -1, LeaderEpoch = replica.LeaderEpoch };
        }
        finally
        {
            if (batches is not null)
                ArrayPool<RecordBatch>.Shared.Return(batches, clearArray: true);
            if (copy is not null)
                ArrayPool<byte>.Shared.Return(copy);
        }
        return result;
    }

    /// <summary>The size of the batch the span starts with, checked against what the span holds.</summary>
    private static int BatchSize(ReadOnlySpan<byte> span)
    {
        if (span.Length < RecordBatch.LogOverhead)
            throw new CorruptRecordException($"The request ends in {span.Length} bytes that are no record batch.");
        long size = RecordBatch.LogOverhead + (long)BinaryPrimitives.ReadInt32BigEndian(span[RecordBatch.BatchLengthOffset..]);
        if (size < RecordBatch.HeaderSize || size > span.Length)
            throw new CorruptRecordException($"A record batch claims {size} bytes, but the request holds {span.Length} from there.");
        return (int)size;
    }
}
