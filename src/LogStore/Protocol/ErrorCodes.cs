namespace LogStore.Protocol;

/// <summary>Maps LogStore's exceptions to the Kafka error codes a response carries for them.</summary>
internal static class ErrorCodes
{
    /// <summary>
    /// The error code for <paramref name="exception"/>: the one a Kafka broker answers for the same failure, and
    /// UNKNOWN_SERVER_ERROR for anything unexpected (which the caller logs).
    /// </summary>
    public static ErrorCode FromException(Exception exception) => exception switch
    {
        OffsetOutOfRangeException => ErrorCode.OffsetOutOfRange,
        CorruptRecordException => ErrorCode.CorruptMessage,
        UnknownTopicException => ErrorCode.UnknownTopicOrPartition,
        RecordTooLargeException => ErrorCode.MessageTooLarge,
        NotLeaderException => ErrorCode.NotLeaderOrFollower,
        NotCoordinatorException => ErrorCode.NotCoordinator,
        NotEnoughReplicasException => ErrorCode.NotEnoughReplicas,
        ReplicationTimeoutException => ErrorCode.RequestTimedOut,
        PartitionOfflineException => ErrorCode.KafkaStorageError,
        CommitFailedException => ErrorCode.IllegalGeneration,
        InvalidTopicException => ErrorCode.InvalidTopic,
        TopicExistsException => ErrorCode.TopicAlreadyExists,
        InvalidTimestampException => ErrorCode.InvalidTimestamp,
        OutOfOrderSequenceException => ErrorCode.OutOfOrderSequenceNumber,
        InvalidProducerEpochException => ErrorCode.InvalidProducerEpoch,
        InconsistentGroupProtocolException => ErrorCode.InconsistentGroupProtocol,
        StorageException => ErrorCode.KafkaStorageError,
        NotControllerException => ErrorCode.NotController,
        StaleBrokerEpochException => ErrorCode.StaleBrokerEpoch,
        InvalidUpdateVersionException => ErrorCode.InvalidUpdateVersion,
        IneligibleReplicaException => ErrorCode.IneligibleReplica,
        EligibleLeadersNotAvailableException => ErrorCode.EligibleLeadersNotAvailable,
        InvalidReplicationFactorException => ErrorCode.InvalidReplicationFactor,
        BufferExhaustedException => ErrorCode.RequestTimedOut,
        KafkaProtocolException => ErrorCode.InvalidRequest,
        OperationCanceledException or TimeoutException => ErrorCode.RequestTimedOut,
        // A partition closed under the request: its topic was deleted, or the broker is closing. Clients look again.
        ObjectDisposedException => ErrorCode.NotLeaderOrFollower,
        ArgumentException => ErrorCode.InvalidRequest,
        _ => ErrorCode.UnknownServerError,
    };
}
