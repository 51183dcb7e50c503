namespace LogStore;

/// <summary>The <see cref="IClientSupplier"/> view of the broker: the admin operations whose embedded shape differs
/// (a <see cref="Topic"/> returned, a synchronous describe) are implemented explicitly on top of the public ones.</summary>
public sealed partial class Broker : IClientSupplier
{
    async ValueTask IClientSupplier.CreateTopicAsync(string name, TopicConfig? config, CancellationToken cancellationToken) =>
        await CreateTopicAsync(name, config, cancellationToken).ConfigureAwait(false);

    ValueTask<IReadOnlyList<string>> IClientSupplier.ListConsumerGroupsAsync(CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested
            ? ValueTask.FromCanceled<IReadOnlyList<string>>(cancellationToken)
            : ValueTask.FromResult(ListConsumerGroups());

    ValueTask<ConsumerGroupDescription> IClientSupplier.DescribeConsumerGroupAsync(string groupId, CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested
            ? ValueTask.FromCanceled<ConsumerGroupDescription>(cancellationToken)
            : ValueTask.FromResult(DescribeConsumerGroup(groupId));
}
