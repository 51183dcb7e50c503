namespace LogStore.Network.Apis;

/// <summary>This broker as clients reach it: its node id (0 on a single node) and the listener's address.</summary>
internal readonly record struct BrokerNode(int NodeId, string Host, int Port);
