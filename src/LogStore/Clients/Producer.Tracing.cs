using System.Diagnostics;
using LogStore.Diagnostics;

namespace LogStore.Clients;

/// <summary>
/// Publish spans (<see cref="LogStoreTracing"/>): each produce checks once whether anyone listens; only then does it take
/// the traced path, which allocates the span and a delivery callback (or an async state machine) per message.
/// </summary>
internal sealed partial class Producer<TKey, TValue>
{
    /// <inheritdoc/>
    public void Produce(string topic, Message<TKey, TValue> message, Action<DeliveryReport<TKey, TValue>>? onDelivery = null) =>
        Produce(topic, -1, message, onDelivery);

    /// <inheritdoc/>
    public void Produce(TopicPartition partition, Message<TKey, TValue> message, Action<DeliveryReport<TKey, TValue>>? onDelivery = null)
    {
        ArgumentNullException.ThrowIfNull(partition.Topic, nameof(partition));
        Produce(partition.Topic, partition.Partition, message, onDelivery);
    }

    private void Produce(string topic, int explicitPartition, Message<TKey, TValue> message, Action<DeliveryReport<TKey, TValue>>? onDelivery)
    {
        if (LogStoreTracing.IsEnabled && LogStoreTracing.StartPublish(topic, explicitPartition) is { } activity)
            ProduceTraced(activity, topic, explicitPartition, message, onDelivery);
        else
            ProduceCore(topic, explicitPartition, message, onDelivery);
    }

    private void ProduceTraced(Activity activity, string topic, int explicitPartition, Message<TKey, TValue> message, Action<DeliveryReport<TKey, TValue>>? onDelivery)
    {
        try
        {
            // The span ends with the delivery report, so one is always asked for (with acks none it comes once batched).
            ProduceCore(topic, explicitPartition, message, report =>
            {
                LogStoreTracing.EndPublish(activity, report.TopicPartition, report.Offset, report.Error);
                onDelivery?.Invoke(report);
            });
        }
        catch (Exception e)
        {
            LogStoreTracing.EndPublish(activity, new TopicPartition(topic, explicitPartition), -1, e);
            throw;
        }
    }

    private ValueTask<DeliveryResult> ProduceAsync(string topic, int explicitPartition, Message<TKey, TValue> message, CancellationToken cancellationToken) =>
        LogStoreTracing.IsEnabled
            ? ProduceTracedAsync(topic, explicitPartition, message, cancellationToken)
            : ProduceCoreAsync(topic, explicitPartition, message, cancellationToken);

    private async ValueTask<DeliveryResult> ProduceTracedAsync(string topic, int explicitPartition, Message<TKey, TValue> message, CancellationToken cancellationToken)
    {
        Activity? activity = LogStoreTracing.StartPublish(topic, explicitPartition);
        try
        {
            DeliveryResult result = await ProduceCoreAsync(topic, explicitPartition, message, cancellationToken).ConfigureAwait(false);
            LogStoreTracing.EndPublish(activity, result.TopicPartition, result.Offset, null);
            return result;
        }
        catch (Exception e)
        {
            LogStoreTracing.EndPublish(activity, new TopicPartition(topic, explicitPartition), -1, e);
            throw;
        }
    }
}
