using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using LogStore.Protocol;

namespace LogStore.Network.Apis;

/// <summary>
/// Produce: each partition's record batches are validated and appended as an in-process append is (CRC, size,
/// timestamps, offsets assigned here), so a network producer can put nothing in a log that an in-process one could not.
/// On a single node the leader's append is every replica's: acks 1 and -1 are answered after it, acks 0 not at all.
/// </summary>
internal sealed class ProduceApi(Broker broker)
{
    /// <summary>The response, or null for acks=0 (Kafka sends none).</summary>
    public ProduceResponse? Handle(ProduceRequest request)
    {
        var response = new ProduceResponse();
        foreach (ProduceRequest.TopicData topic in request.Topics)
        {
            var topicResponse = new ProduceResponse.TopicResponse { Name = topic.Name };
            foreach (ProduceRequest.PartitionData data in topic.Partitions)
            {
                // Transactions are not supported: nothing of a transactional producer is appended.
                topicResponse.Partitions.Add(request.TransactionalId is null ? Append(topic.Name, data)
                    : new ProduceResponse.PartitionResponse { Index = data.Index, ErrorCode = ErrorCode.TransactionalIdAuthorizationFailed, ErrorMessage = "Transactions are not supported." });
            }
            response.Topics.Add(topicResponse);
        }
        return request.Acks == 0 ? null : response;
    }

    private ProduceResponse.PartitionResponse Append(string topic, ProduceRequest.PartitionData data)
    {
        var result = new ProduceResponse.PartitionResponse { Index = data.Index };
        if (!broker.TryGetPartition(topic, data.Index, out Partition? partition))
        {
            result.ErrorCode = ErrorCode.UnknownTopicOrPartition;
            return result;
        }
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
            int position = 0;
            bool first = true;
            while (position < length)
            {
                int size = BatchSize(bytes.Span[position..]);
                AppendResult appended = partition.AppendAsync(RecordBatch.Parse(bytes.Slice(position, size))).GetAwaiter().GetResult();
                if (first)
                {
                    result.BaseOffset = appended.BaseOffset;
                    result.LogAppendTimeMs = appended.LogAppendTime?.ToUnixTimeMilliseconds() ?? -1;
                    first = false;
                }
                result.LogStartOffset = appended.LogStartOffset;
                position += size;
            }
        }
        catch (Exception e) when (e is LogStoreException or ObjectDisposedException)
        {
            result.ErrorCode = ErrorCodes.FromException(e);
            result.ErrorMessage = e.Message;
        }
        finally
        {
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
