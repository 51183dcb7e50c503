using LogStore.Cluster;
using LogStore.Cluster.Metadata;

namespace LogStore.Tests.Storage.Replication;

/// <summary>A controller channel whose AlterPartition calls wait until the test answers them, one by one.</summary>
internal sealed class FakeControllerChannel : IControllerChannel
{
    private readonly Lock _lock = new();
    private readonly List<AlterPartitionCall> _calls = [];

    internal sealed record AlterPartitionCall(TopicPartition Partition, int LeaderId, int LeaderEpoch, int PartitionEpoch, int[] NewIsr)
    {
        public TaskCompletionSource<PartitionRegistration> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Commits the proposal as the controller would: the partition epoch moves by one.</summary>
        public void Commit(int[] replicas) => Answer.SetResult(new PartitionRegistration(replicas, LeaderId, LeaderEpoch, NewIsr, PartitionEpoch + 1));
    }

    public IReadOnlyList<AlterPartitionCall> Calls
    {
        get
        {
            lock (_lock)
                return [.. _calls];
        }
    }

    public ValueTask<PartitionRegistration> AlterPartitionAsync(TopicPartition partition, int leaderId, int leaderEpoch, int partitionEpoch,
        IReadOnlyList<int> newIsr, CancellationToken cancellationToken)
    {
        var call = new AlterPartitionCall(partition, leaderId, leaderEpoch, partitionEpoch, [.. newIsr]);
        lock (_lock)
            _calls.Add(call);
        return new ValueTask<PartitionRegistration>(call.Answer.Task.WaitAsync(cancellationToken));
    }

    public ValueTask<NodeRegistration> RegisterNodeAsync(int nodeId, long nodeEpoch, string host, int port, bool cleanShutdown, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public ValueTask HeartbeatAsync(int nodeId, long nodeEpoch, CancellationToken cancellationToken) => throw new NotSupportedException();

    public ValueTask<TopicRegistration> CreateTopicAsync(string name, int partitions, int replicationFactor, bool uncleanLeaderElection,
        IReadOnlyList<(string Name, string Value)> configs, CancellationToken cancellationToken) => throw new NotSupportedException();
}
