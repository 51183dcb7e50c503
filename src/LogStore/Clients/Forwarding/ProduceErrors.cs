using LogStore.Protocol;
using LogStore.Records;

namespace LogStore.Clients.Forwarding;

/// <summary>
/// A leader's Produce error codes back to the typed exceptions an in-process append throws for the same refusal (the
/// inverse of <see cref="ErrorCodes.FromException"/>), and which of them Kafka's producer retries: so a delivery report
/// reads alike whichever node led the partition. Stateless.
/// </summary>
internal static class ProduceErrors
{
    /// <summary>Whether <paramref name="error"/> is settled by sending again to the (maybe new) leader.</summary>
    public static ForwardOutcome OutcomeOf(ErrorCode error) => error switch
    {
        // A retry the leader recognised by its sequence: appended once, earlier.
        ErrorCode.None or ErrorCode.DuplicateSequenceNumber => ForwardOutcome.Appended,
        // The leadership moved or is moving, the topic is not there yet, or the leader's disk failed (another replica
        // will lead): Kafka's retriable errors of a produce.
        ErrorCode.NotLeaderOrFollower or ErrorCode.LeaderNotAvailable or ErrorCode.FencedLeaderEpoch or ErrorCode.UnknownLeaderEpoch
            or ErrorCode.UnknownTopicOrPartition or ErrorCode.KafkaStorageError or ErrorCode.NetworkException or ErrorCode.BrokerNotAvailable
            or ErrorCode.ReplicaNotAvailable => ForwardOutcome.Retry,
        // Appended by the leader; the in-sync replicas did not all follow in time.
        ErrorCode.RequestTimedOut or ErrorCode.NotEnoughReplicasAfterAppend => ForwardOutcome.AppendedButFailed,
        _ => ForwardOutcome.NotAppended,
    };

    /// <summary>The exception for <paramref name="error"/>, answered by node <paramref name="leader"/> for
    /// <paramref name="batch"/> of <paramref name="target"/>.</summary>
    public static LogStoreException ToException(ErrorCode error, string? message, ProducerPartition target, RecordBatch batch, int leader,
        long baseOffset, TimeSpan requestTimeout)
    {
        Partition partition = target.Partition;
        TopicPartition id = partition.Id;
        string detail = message is null ? "" : ": " + message;
        return error switch
        {
            ErrorCode.NotLeaderOrFollower or ErrorCode.FencedLeaderEpoch or ErrorCode.UnknownLeaderEpoch or ErrorCode.LeaderNotAvailable
                => new NotLeaderException(id, partition.Leader is int now && now != leader ? now : null),
            ErrorCode.UnknownTopicOrPartition => new UnknownTopicException(id.Topic, id.Partition),
            ErrorCode.MessageTooLarge or ErrorCode.RecordListTooLarge
                => new RecordTooLargeException(id, $"The leader of {id}, node {leader}, refused a batch of {batch.SizeInBytes} bytes as too large{detail}"),
            ErrorCode.NotEnoughReplicas or ErrorCode.NotEnoughReplicasAfterAppend
                => new NotEnoughReplicasException(id, partition.InSyncReplicas.Count, target.Topic.Topic.Config.MinInSyncReplicas),
            ErrorCode.RequestTimedOut => new ReplicationTimeoutException(id, baseOffset < 0 ? -1 : baseOffset + batch.LastOffsetDelta + 1, -1, requestTimeout),
            ErrorCode.OutOfOrderSequenceNumber => new OutOfOrderSequenceException(id, batch.ProducerId, -1, batch.BaseSequence),
            ErrorCode.InvalidProducerEpoch or ErrorCode.InvalidProducerIdMapping or ErrorCode.UnknownProducerId
                => new InvalidProducerEpochException(id, batch.ProducerId, batch.ProducerEpoch, -1),
            ErrorCode.CorruptMessage or ErrorCode.InvalidRecord
                => new CorruptRecordException($"The leader of {id}, node {leader}, found a batch corrupt{detail}"),
            ErrorCode.InvalidTimestamp => new InvalidTimestampException(id, batch.MaxTimestamp, message ?? "the leader refused it"),
            ErrorCode.KafkaStorageError => new StorageException($"The leader of {id}, node {leader}, could not append{detail}", null),
            ErrorCode.NetworkException or ErrorCode.BrokerNotAvailable or ErrorCode.ReplicaNotAvailable
                => new NetworkException($"The leader of {id}, node {leader}, answered {error}{detail}"),
            _ => new ProduceException(id, $"The leader of {id}, node {leader}, refused the batch: {error}{detail}", null),
        };
    }

    /// <summary>The head batch of a partition was not delivered within the producer's delivery timeout.</summary>
    public static LogStoreException DeliveryTimedOut(TopicPartition partition, TimeSpan timeout, LogStoreException? last) =>
        last ?? new ProduceException(partition, $"A batch to {partition} was not sent within the delivery timeout of " +
            $"{timeout.TotalMilliseconds:0} ms.", null);
}
