using System.Buffers;
using LogStore.Protocol;

namespace LogStore.Tests.Protocol;

/// <summary>Reads and writes one message type as bytes, so tests can treat every API alike.</summary>
internal interface IMessageCodec
{
    Type Type { get; }

    object Read(ReadOnlySequence<byte> bytes, short version, out long consumed);

    byte[] Write(object message, short version);
}

internal sealed class MessageCodec<T> : IMessageCodec where T : class, IKafkaMessage<T>
{
    public Type Type => typeof(T);

    public object Read(ReadOnlySequence<byte> bytes, short version, out long consumed)
    {
        var reader = new KafkaReader(bytes);
        T message = T.Read(ref reader, version);
        consumed = reader.Consumed;
        return message;
    }

    public byte[] Write(object message, short version)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(output);
        ((T)message).Write(ref writer, version);
        return output.WrittenSpan.ToArray();
    }
}

/// <summary>The request and response codec of every API the protocol layer implements.</summary>
internal static class MessageCodecs
{
    public static readonly IReadOnlyDictionary<ApiKey, (IMessageCodec Request, IMessageCodec Response)> ByApi =
        new Dictionary<ApiKey, (IMessageCodec, IMessageCodec)>
        {
            [ApiKey.ApiVersions] = (new MessageCodec<ApiVersionsRequest>(), new MessageCodec<ApiVersionsResponse>()),
            [ApiKey.Metadata] = (new MessageCodec<MetadataRequest>(), new MessageCodec<MetadataResponse>()),
            [ApiKey.Produce] = (new MessageCodec<ProduceRequest>(), new MessageCodec<ProduceResponse>()),
            [ApiKey.Fetch] = (new MessageCodec<FetchRequest>(), new MessageCodec<FetchResponse>()),
            [ApiKey.ListOffsets] = (new MessageCodec<ListOffsetsRequest>(), new MessageCodec<ListOffsetsResponse>()),
            [ApiKey.InitProducerId] = (new MessageCodec<InitProducerIdRequest>(), new MessageCodec<InitProducerIdResponse>()),
            [ApiKey.FindCoordinator] = (new MessageCodec<FindCoordinatorRequest>(), new MessageCodec<FindCoordinatorResponse>()),
            [ApiKey.JoinGroup] = (new MessageCodec<JoinGroupRequest>(), new MessageCodec<JoinGroupResponse>()),
            [ApiKey.SyncGroup] = (new MessageCodec<SyncGroupRequest>(), new MessageCodec<SyncGroupResponse>()),
            [ApiKey.Heartbeat] = (new MessageCodec<HeartbeatRequest>(), new MessageCodec<HeartbeatResponse>()),
            [ApiKey.LeaveGroup] = (new MessageCodec<LeaveGroupRequest>(), new MessageCodec<LeaveGroupResponse>()),
            [ApiKey.OffsetCommit] = (new MessageCodec<OffsetCommitRequest>(), new MessageCodec<OffsetCommitResponse>()),
            [ApiKey.OffsetFetch] = (new MessageCodec<OffsetFetchRequest>(), new MessageCodec<OffsetFetchResponse>()),
            [ApiKey.DescribeGroups] = (new MessageCodec<DescribeGroupsRequest>(), new MessageCodec<DescribeGroupsResponse>()),
            [ApiKey.ListGroups] = (new MessageCodec<ListGroupsRequest>(), new MessageCodec<ListGroupsResponse>()),
            [ApiKey.SaslHandshake] = (new MessageCodec<SaslHandshakeRequest>(), new MessageCodec<SaslHandshakeResponse>()),
            [ApiKey.CreateTopics] = (new MessageCodec<CreateTopicsRequest>(), new MessageCodec<CreateTopicsResponse>()),
            [ApiKey.DeleteTopics] = (new MessageCodec<DeleteTopicsRequest>(), new MessageCodec<DeleteTopicsResponse>()),
            [ApiKey.DeleteRecords] = (new MessageCodec<DeleteRecordsRequest>(), new MessageCodec<DeleteRecordsResponse>()),
            [ApiKey.OffsetForLeaderEpoch] = (new MessageCodec<OffsetForLeaderEpochRequest>(), new MessageCodec<OffsetForLeaderEpochResponse>()),
            [ApiKey.DescribeConfigs] = (new MessageCodec<DescribeConfigsRequest>(), new MessageCodec<DescribeConfigsResponse>()),
            [ApiKey.SaslAuthenticate] = (new MessageCodec<SaslAuthenticateRequest>(), new MessageCodec<SaslAuthenticateResponse>()),
            [ApiKey.AlterPartition] = (new MessageCodec<AlterPartitionRequest>(), new MessageCodec<AlterPartitionResponse>()),
            [ApiKey.BrokerRegistration] = (new MessageCodec<BrokerRegistrationRequest>(), new MessageCodec<BrokerRegistrationResponse>()),
            [ApiKey.BrokerHeartbeat] = (new MessageCodec<BrokerHeartbeatRequest>(), new MessageCodec<BrokerHeartbeatResponse>()),
        };

    /// <summary><paramref name="bytes"/> as a sequence of segments of <paramref name="every"/> bytes (the last shorter).</summary>
    public static ReadOnlySequence<byte> Segmented(byte[] bytes, int every)
    {
        if (bytes.Length == 0 || every >= bytes.Length)
            return new ReadOnlySequence<byte>(bytes);
        var first = new Segment(bytes.AsMemory(0, every), 0);
        Segment last = first;
        for (int start = every; start < bytes.Length; start += every)
            last = last.Append(bytes.AsMemory(start, Math.Min(every, bytes.Length - start)));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
