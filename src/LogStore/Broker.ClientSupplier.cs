namespace LogStore;

/// <summary>The <see cref="IClientSupplier"/> view of the broker: the admin operations whose embedded shape differs
/// (a <see cref="Topic"/> returned, a synchronous describe) are implemented explicitly on top of the public ones.</summary>
public sealed partial class Broker : IClientSupplier
{
    async ValueTask IClientSupplier.CreateTopicAsync(string name, TopicConfig? config, CancellationToken cancellationToken) =>
        await CreateTopicAsync(name, config, cancellationToken).ConfigureAwait(false);

    ValueTask<IReadOnlyList<TopicPartition>> IClientSupplier.PartitionsForAsync(string topic, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(topic);
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled<IReadOnlyList<TopicPartition>>(cancellationToken);
        if (!TryGetTopic(topic, out Topic? found))
            return ValueTask.FromException<IReadOnlyList<TopicPartition>>(new UnknownTopicException(topic));
        var partitions = new TopicPartition[found.Partitions.Count];
        for (int i = 0; i < partitions.Length; i++)
            partitions[i] = new TopicPartition(topic, i);
        return ValueTask.FromResult<IReadOnlyList<TopicPartition>>(partitions);
    }

    ValueTask<IReadOnlyList<string>> IClientSupplier.ListConsumerGroupsAsync(CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested
            ? ValueTask.FromCanceled<IReadOnlyList<string>>(cancellationToken)
            : ValueTask.FromResult(ListConsumerGroups());

    ValueTask<ConsumerGroupDescription> IClientSupplier.DescribeConsumerGroupAsync(string groupId, CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested
            ? ValueTask.FromCanceled<ConsumerGroupDescription>(cancellationToken)
            : ValueTask.FromResult(DescribeConsumerGroup(groupId));
}
