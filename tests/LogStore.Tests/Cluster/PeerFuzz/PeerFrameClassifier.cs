using System.Buffers;
using System.Buffers.Binary;
using LogStore.Cluster.Metadata;
using LogStore.Network.Apis;
using LogStore.Protocol;
using LogStore.Records;

namespace LogStore.Tests.Cluster.PeerFuzz;

/// <summary>What the node must do with one frame as its request loop reads it.</summary>
internal enum PeerExpectation
{
    /// <summary>Answer it, with its correlation id.</summary>
    Answer,

    /// <summary>Send nothing back (a produce with acks 0).</summary>
    Silent,

    /// <summary>Close the connection without an answer.</summary>
    Close,
}

/// <summary>What the node must do with the bytes of one send: an expectation per frame its loop reads, in order;
/// whether the bytes end inside a frame (the node waits for the rest, so the peer closes its side); and whether the send
/// could change the cluster legitimately, in which case it is not sent.</summary>
internal sealed record PeerSend(List<(PeerExpectation Expectation, int CorrelationId, string What)> Frames, bool EndsMidFrame, string? WouldChange);

/// <summary>
/// Splits a send into frames exactly as the node's request loop does (size prefix checked against the minimum and
/// socket.request.max.bytes) and decodes each with the node's own decoder, to know what the node must answer and to
/// separate the frames a mutation left valid and authorised: a produce whose batch CRC still holds, a follower fetch
/// or a registration under a member's id, a heartbeat with a member's current epoch, an AlterPartition from a
/// partition's leader at its current epochs, or any other API that writes. Those are not sent: the test is that
/// nothing else changes anything. A fetch that would long-poll is not sent either, to keep the run fast.
/// </summary>
internal sealed class PeerFrameClassifier(ClusterImage image, int maxFrameBytes)
{
    private const int MinFrameSize = 8;

    // APIs that only read: a mutation that turns a frame into one of them is harmless once valid.
    private static readonly HashSet<ApiKey> Reads =
        [ApiKey.ApiVersions, ApiKey.Metadata, ApiKey.ListOffsets, ApiKey.OffsetForLeaderEpoch, ApiKey.DescribeConfigs];

    public PeerSend Classify(byte[] bytes)
    {
        var frames = new List<(PeerExpectation, int, string)>();
        int at = 0;
        while (bytes.Length - at >= 4)
        {
            int size = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at));
            if (size < MinFrameSize || size > maxFrameBytes)
            {
                frames.Add((PeerExpectation.Close, 0, $"size {size}"));
                return new PeerSend(frames, false, null);
            }
            if (bytes.Length - at - 4 < size)
                return new PeerSend(frames, true, null);
            (PeerExpectation expectation, int correlationId, string what, string? change) = ClassifyFrame(new ReadOnlySequence<byte>(bytes, at + 4, size));
            if (change is not null)
                return new PeerSend(frames, false, change);
            frames.Add((expectation, correlationId, what));
            if (expectation == PeerExpectation.Close)
                return new PeerSend(frames, false, null);
            at += 4 + size;
        }
        return new PeerSend(frames, at < bytes.Length, null);
    }

    private (PeerExpectation, int, string, string?) ClassifyFrame(ReadOnlySequence<byte> frame)
    {
        DecodedRequest decoded = RequestDecoder.TryDecode(frame);
        RequestHeader? header = decoded.Header;
        if (header is null)
            return (PeerExpectation.Close, 0, decoded.Error ?? "no header", null);
        string what = $"{header.ApiKey} v{header.ApiVersion}";
        if (decoded.IsUnsupportedVersion)
        {
            bool answered = header.ApiKey == ApiKey.ApiVersions || UnsupportedApis.TryGet(header.ApiKey, header.ApiVersion, out _);
            return (answered ? PeerExpectation.Answer : PeerExpectation.Close, header.CorrelationId, what + " unsupported", null);
        }
        if (!decoded.Succeeded || !ApiVersionsApi.Serves(header.ApiKey, header.ApiVersion))
            return (PeerExpectation.Close, header.CorrelationId, what + ": " + decoded.Error, null);
        string? change = WouldChange(decoded.Body!, header.ApiVersion);
        if (decoded.Body is ProduceRequest { Acks: 0 })
            return (PeerExpectation.Silent, header.CorrelationId, what, change);
        return (PeerExpectation.Answer, header.CorrelationId, what, change);
    }

    private string? WouldChange(IKafkaRequest body, short version)
    {
        switch (body)
        {
            case ProduceRequest produce:
                foreach (ProduceRequest.TopicData topic in produce.Topics)
                {
                    foreach (ProduceRequest.PartitionData data in topic.Partitions)
                    {
                        if (data.Records is { } records && HasIntactBatch(records))
                            return "a produce with an intact batch";
                    }
                }
                return null;
            case FetchRequest fetch:
                int replicaId = version >= 15 ? fetch.ReplicaState?.ReplicaId ?? -1 : fetch.ReplicaId;
                if (image.Nodes.ContainsKey(replicaId))
                    return $"a follower fetch as member {replicaId}";
                return fetch.MaxWaitMs > 100 ? $"a fetch that may wait {fetch.MaxWaitMs} ms" : null;
            case BrokerRegistrationRequest registration:
                return image.Nodes.ContainsKey(registration.BrokerId) ? $"a registration as member {registration.BrokerId}" : null;
            case BrokerHeartbeatRequest heartbeat:
                return image.Nodes.TryGetValue(heartbeat.BrokerId, out NodeRegistration? node) && node.NodeEpoch == heartbeat.BrokerEpoch
                    ? $"member {heartbeat.BrokerId}'s heartbeat" : null;
            case AlterPartitionRequest alter:
                return IsLeadersChange(alter, version) ? $"member {alter.BrokerId}'s AlterPartition at its current epochs" : null;
            default:
                return Reads.Contains(body.RequestApiKey) ? null : $"a valid {body.RequestApiKey} request";
        }
    }

    private bool IsLeadersChange(AlterPartitionRequest alter, short version)
    {
        foreach (AlterPartitionRequest.TopicData topic in alter.Topics)
        {
            TopicRegistration? registered = image.Topics.Values.FirstOrDefault(t => version <= 1 ? t.Name == topic.TopicName : t.TopicId == topic.TopicId);
            if (registered is null)
                continue;
            foreach (AlterPartitionRequest.PartitionData partition in topic.Partitions)
            {
                if ((uint)partition.PartitionIndex < (uint)registered.Partitions.Length
                    && registered.Partitions[partition.PartitionIndex] is { } state
                    && state.Leader == alter.BrokerId && state.LeaderEpoch == partition.LeaderEpoch && state.PartitionEpoch == partition.PartitionEpoch)
                    return true;
            }
        }
        return false;
    }

    /// <summary>True when the records hold a batch, walking from the first by their lengths, whose CRC matches its
    /// bytes: the node might append it.</summary>
    private static bool HasIntactBatch(ReadOnlySequence<byte> records)
    {
        byte[] bytes = records.ToArray();
        int at = 0;
        while (bytes.Length - at >= RecordBatch.HeaderSize)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at + RecordBatch.BatchLengthOffset));
            if (length < RecordBatch.HeaderSize - RecordBatch.LogOverhead)
                return false;
            int end = (int)Math.Min(bytes.Length, at + RecordBatch.LogOverhead + (long)length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(at + RecordBatch.CrcOffset));
            if (Crc32C.Compute(bytes.AsSpan(at + RecordBatch.AttributesOffset, end - at - RecordBatch.AttributesOffset)) == crc)
                return true;
            at = end;
        }
        return false;
    }
}
