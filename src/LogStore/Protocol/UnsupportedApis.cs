namespace LogStore.Protocol;

/// <summary>
/// Every API Kafka 4.0 defines that LogStore does not serve, with its response layout (<see cref="UnsupportedApiLayout"/>),
/// so that a request for one is answered — UNSUPPORTED_VERSION in its top-level ErrorCode, zero and empty everywhere
/// else (<see cref="UnsupportedApiResponse"/>) — instead of closing the connection or leaving the client waiting. Clients
/// only send what ApiVersions advertises, so this serves hand-made and future clients. An API without a top-level
/// ErrorCode (CreateAcls, say) gets empty result arrays: its per-item errors would need the request decoded, which it
/// never is. A key or version outside this table has no response shape: its request closes the connection, logged.
/// Learnt from Kafka's message schemas (clients/src/main/resources/common/message/*Response.json, apache/kafka
/// 4.0.0-SNAPSHOT, commit 1eb7644); versions and flexible thresholds are Kafka's.
/// </summary>
internal static class UnsupportedApis
{
    private const short Never = short.MaxValue;

    private static readonly UnsupportedApiLayout[] Layouts =
    [
        new(ApiKey.LeaderAndIsr, 0, 7, 4, "ErrorCode:i16, PartitionErrors:[]@0-4, Topics:[]@5+"),
        new(ApiKey.StopReplica, 0, 4, 2, "ErrorCode:i16, PartitionErrors:[]"),
        new(ApiKey.UpdateMetadata, 0, 8, 6, "ErrorCode:i16"),
        new(ApiKey.ControlledShutdown, 0, 3, 3, "ErrorCode:i16, RemainingPartitions:[]"),
        new(ApiKey.AddPartitionsToTxn, 0, 5, 3, "ThrottleTimeMs:i32, ErrorCode:i16@4+, ResultsByTransaction:[]@4+, ResultsByTopicV3AndBelow:[]@0-3"),
        new(ApiKey.AddOffsetsToTxn, 0, 4, 3, "ThrottleTimeMs:i32, ErrorCode:i16"),
        new(ApiKey.EndTxn, 0, 5, 3, "ThrottleTimeMs:i32, ErrorCode:i16, ProducerId:i64@5+, ProducerEpoch:i16@5+"),
        new(ApiKey.WriteTxnMarkers, 0, 1, 1, "Markers:[]"),
        new(ApiKey.TxnOffsetCommit, 0, 4, 3, "ThrottleTimeMs:i32, Topics:[]"),
        new(ApiKey.DescribeAcls, 0, 3, 2, "ThrottleTimeMs:i32, ErrorCode:i16, ErrorMessage:str?, Resources:[]"),
        new(ApiKey.CreateAcls, 0, 3, 2, "ThrottleTimeMs:i32, Results:[]"),
        new(ApiKey.DeleteAcls, 0, 3, 2, "ThrottleTimeMs:i32, FilterResults:[]"),
        new(ApiKey.AlterConfigs, 0, 2, 2, "ThrottleTimeMs:i32, Responses:[]"),
        new(ApiKey.AlterReplicaLogDirs, 0, 2, 2, "ThrottleTimeMs:i32, Results:[]"),
        new(ApiKey.DescribeLogDirs, 0, 4, 2, "ThrottleTimeMs:i32, ErrorCode:i16@3+, Results:[]"),
        new(ApiKey.CreatePartitions, 0, 3, 2, "ThrottleTimeMs:i32, Results:[]"),
        new(ApiKey.CreateDelegationToken, 0, 3, 2, "ErrorCode:i16, PrincipalType:str, PrincipalName:str, TokenRequesterPrincipalType:str@3+, TokenRequesterPrincipalName:str@3+, " +
            "IssueTimestampMs:i64, ExpiryTimestampMs:i64, MaxTimestampMs:i64, TokenId:str, Hmac:bytes, ThrottleTimeMs:i32"),
        new(ApiKey.RenewDelegationToken, 0, 2, 2, "ErrorCode:i16, ExpiryTimestampMs:i64, ThrottleTimeMs:i32"),
        new(ApiKey.ExpireDelegationToken, 0, 2, 2, "ErrorCode:i16, ExpiryTimestampMs:i64, ThrottleTimeMs:i32"),
        new(ApiKey.DescribeDelegationToken, 0, 3, 2, "ErrorCode:i16, Tokens:[], ThrottleTimeMs:i32"),
        new(ApiKey.DeleteGroups, 0, 2, 2, "ThrottleTimeMs:i32, Results:[]"),
        new(ApiKey.ElectLeaders, 0, 2, 2, "ThrottleTimeMs:i32, ErrorCode:i16@1+, ReplicaElectionResults:[]"),
        new(ApiKey.IncrementalAlterConfigs, 0, 1, 1, "ThrottleTimeMs:i32, Responses:[]"),
        new(ApiKey.AlterPartitionReassignments, 0, 0, 0, "ThrottleTimeMs:i32, ErrorCode:i16, ErrorMessage:str?, Responses:[]"),
        new(ApiKey.ListPartitionReassignments, 0, 0, 0, "ThrottleTimeMs:i32, ErrorCode:i16, ErrorMessage:str?, Topics:[]"),
        new(ApiKey.OffsetDelete, 0, 0, Never, "ErrorCode:i16, ThrottleTimeMs:i32, Topics:[]"),
        new(ApiKey.DescribeClientQuotas, 0, 1, 1, "ThrottleTimeMs:i32, ErrorCode:i16, ErrorMessage:str?, Entries:[]"),
        new(ApiKey.AlterClientQuotas, 0, 1, 1, "ThrottleTimeMs:i32, Entries:[]"),
        new(ApiKey.DescribeUserScramCredentials, 0, 0, 0, "ThrottleTimeMs:i32, ErrorCode:i16, ErrorMessage:str?, Results:[]"),
        new(ApiKey.AlterUserScramCredentials, 0, 0, 0, "ThrottleTimeMs:i32, Results:[]"),
        new(ApiKey.Vote, 0, 1, 0, "ErrorCode:i16, Topics:[]"),
        new(ApiKey.BeginQuorumEpoch, 0, 1, 1, "ErrorCode:i16, Topics:[]"),
        new(ApiKey.EndQuorumEpoch, 0, 1, 1, "ErrorCode:i16, Topics:[]"),
        new(ApiKey.DescribeQuorum, 0, 2, 0, "ErrorCode:i16, ErrorMessage:str?@2+, Topics:[], Nodes:[]@2+"),
        new(ApiKey.UpdateFeatures, 0, 2, 0, "ThrottleTimeMs:i32, ErrorCode:i16, ErrorMessage:str?, Results:[]@0-1"),
        new(ApiKey.Envelope, 0, 0, 0, "ResponseData:bytes?, ErrorCode:i16"),
        new(ApiKey.FetchSnapshot, 0, 1, 0, "ThrottleTimeMs:i32, ErrorCode:i16, Topics:[]"),
        new(ApiKey.DescribeCluster, 0, 1, 0, "ThrottleTimeMs:i32, ErrorCode:i16, ErrorMessage:str?, EndpointType:i8@1+, " +
            "ClusterId:str, ControllerId:i32, Brokers:[], ClusterAuthorizedOperations:i32"),
        new(ApiKey.DescribeProducers, 0, 0, 0, "ThrottleTimeMs:i32, Topics:[]"),
        new(ApiKey.UnregisterBroker, 0, 0, 0, "ThrottleTimeMs:i32, ErrorCode:i16, ErrorMessage:str?"),
        new(ApiKey.DescribeTransactions, 0, 0, 0, "ThrottleTimeMs:i32, TransactionStates:[]"),
        new(ApiKey.ListTransactions, 0, 1, 0, "ThrottleTimeMs:i32, ErrorCode:i16, UnknownStateFilters:[], TransactionStates:[]"),
        new(ApiKey.AllocateProducerIds, 0, 0, 0, "ThrottleTimeMs:i32, ErrorCode:i16, ProducerIdStart:i64, ProducerIdLen:i32"),
        new(ApiKey.ConsumerGroupHeartbeat, 0, 1, 0, "ThrottleTimeMs:i32, ErrorCode:i16, ErrorMessage:str?, " +
            "MemberId:str?, MemberEpoch:i32, HeartbeatIntervalMs:i32, Assignment:struct?"),
        new(ApiKey.ConsumerGroupDescribe, 0, 0, 0, "ThrottleTimeMs:i32, Groups:[]"),
        new(ApiKey.ControllerRegistration, 0, 0, 0, "ThrottleTimeMs:i32, ErrorCode:i16, ErrorMessage:str?"),
        new(ApiKey.GetTelemetrySubscriptions, 0, 0, 0, "ThrottleTimeMs:i32, ErrorCode:i16, ClientInstanceId:uuid, SubscriptionId:i32, " +
            "AcceptedCompressionTypes:[], PushIntervalMs:i32, TelemetryMaxBytes:i32, DeltaTemporality:bool, RequestedMetrics:[]"),
        new(ApiKey.PushTelemetry, 0, 0, 0, "ThrottleTimeMs:i32, ErrorCode:i16"),
        new(ApiKey.AssignReplicasToDirs, 0, 0, 0, "ThrottleTimeMs:i32, ErrorCode:i16, Directories:[]"),
        new(ApiKey.ListClientMetricsResources, 0, 0, 0, "ThrottleTimeMs:i32, ErrorCode:i16, ClientMetricsResources:[]"),
        new(ApiKey.DescribeTopicPartitions, 0, 0, 0, "ThrottleTimeMs:i32, Topics:[], NextCursor:struct?"),
        new(ApiKey.ShareGroupHeartbeat, 0, 0, 0, "ThrottleTimeMs:i32, ErrorCode:i16, ErrorMessage:str?, " +
            "MemberId:str?, MemberEpoch:i32, HeartbeatIntervalMs:i32, Assignment:struct?"),
        new(ApiKey.ShareGroupDescribe, 0, 0, 0, "ThrottleTimeMs:i32, Groups:[]"),
        new(ApiKey.ShareFetch, 0, 0, 0, "ThrottleTimeMs:i32, ErrorCode:i16, ErrorMessage:str?, Responses:[], NodeEndpoints:[]"),
        new(ApiKey.ShareAcknowledge, 0, 0, 0, "ThrottleTimeMs:i32, ErrorCode:i16, ErrorMessage:str?, Responses:[], NodeEndpoints:[]"),
        new(ApiKey.AddRaftVoter, 0, 0, 0, "ThrottleTimeMs:i32, ErrorCode:i16, ErrorMessage:str?"),
        new(ApiKey.RemoveRaftVoter, 0, 0, 0, "ThrottleTimeMs:i32, ErrorCode:i16, ErrorMessage:str?"),
        new(ApiKey.UpdateRaftVoter, 0, 0, 0, "ThrottleTimeMs:i32, ErrorCode:i16"),
        new(ApiKey.InitializeShareGroupState, 0, 0, 0, "Results:[]"),
        new(ApiKey.ReadShareGroupState, 0, 0, 0, "Results:[]"),
        new(ApiKey.WriteShareGroupState, 0, 0, 0, "Results:[]"),
        new(ApiKey.DeleteShareGroupState, 0, 0, 0, "Results:[]"),
        new(ApiKey.ReadShareGroupStateSummary, 0, 0, 0, "Results:[]"),
    ];

    private static readonly UnsupportedApiLayout?[] ByKey = Index(Layouts);

    /// <summary>Every layout, in key order.</summary>
    public static IReadOnlyList<UnsupportedApiLayout> All => Layouts;

    /// <summary>The layout of <paramref name="apiKey"/> when Kafka defines it at <paramref name="version"/> and LogStore
    /// does not serve it.</summary>
    public static bool TryGet(ApiKey apiKey, short version, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out UnsupportedApiLayout? layout)
    {
        int index = (int)apiKey;
        layout = index >= 0 && index < ByKey.Length ? ByKey[index] : null;
        if (layout is not null && layout.Defines(version))
            return true;
        layout = null;
        return false;
    }

    private static UnsupportedApiLayout?[] Index(UnsupportedApiLayout[] layouts)
    {
        var byKey = new UnsupportedApiLayout?[(int)layouts[^1].ApiKey + 1];
        foreach (UnsupportedApiLayout layout in layouts)
            byKey[(int)layout.ApiKey] = layout;
        return byKey;
    }
}
