namespace LogStore.Cluster.Metadata;

/// <summary>One node as the controller knows it (Kafka's BrokerRegistration): its id, the epoch of its latest
/// registration (a restarted node registers with a higher one, so the old incarnation's requests are refused), the
/// address its peers reach it at, and whether it is fenced (no heartbeat within the session timeout: it leads nothing
/// and is in no ISR it could be removed from). Immutable.</summary>
internal sealed record NodeRegistration(int NodeId, long NodeEpoch, string Host, int Port, bool Fenced);
