using System.Diagnostics;
using System.Globalization;

namespace LogStore.Diagnostics;

/// <summary>
/// LogStore's one <see cref="ActivitySource"/>, named <c>"LogStore"</c> (for <c>AddSource("LogStore")</c>), with spans
/// shaped by OpenTelemetry's messaging conventions, as Kafka client instrumentations make them:
/// <list type="bullet">
/// <item><c>publish &lt;topic&gt;</c> (<see cref="ActivityKind.Producer"/>): one per produced message, from the
/// Produce or ProduceAsync call until its delivery report (or, with acks none, until it is batched).</item>
/// <item><c>receive &lt;topic&gt;</c> (<see cref="ActivityKind.Consumer"/>): one per record a consumer returns.</item>
/// </list>
/// Tags: <c>messaging.system</c> = <c>logstore</c>, <c>messaging.operation.name</c>, <c>messaging.operation.type</c>,
/// <c>messaging.destination.name</c> (the topic), <c>messaging.destination.partition.id</c>, <c>messaging.kafka.offset</c>,
/// <c>messaging.consumer.group.name</c> (consumers in a group); a failed delivery sets the status to error and
/// <c>error.type</c>. Every caller checks <see cref="IsEnabled"/> first, so no listener costs one branch, no allocation.
/// </summary>
internal static class LogStoreTracing
{
    /// <summary>The source's name.</summary>
    public const string SourceName = "LogStore";

    private const string System = "logstore";

    private static readonly ActivitySource Source = new(SourceName, typeof(LogStoreTracing).Assembly.GetName().Version?.ToString());

    /// <summary>True while some listener wants LogStore's activities.</summary>
    public static bool IsEnabled => Source.HasListeners();

    /// <summary>
    /// Starts a publish span, or returns null when nobody samples it. The span outlives the call (it ends at delivery),
    /// so it is not left as <see cref="Activity.Current"/>: records produced next are siblings, not its children.
    /// </summary>
    public static Activity? StartPublish(string topic, int partition)
    {
        Activity? previous = Activity.Current;
        Activity? activity = Source.StartActivity("publish " + topic, ActivityKind.Producer);
        if (activity is null)
            return null;
        Activity.Current = previous;
        if (activity.IsAllDataRequested)
        {
            activity.SetTag("messaging.system", System);
            activity.SetTag("messaging.operation.name", "publish");
            activity.SetTag("messaging.operation.type", "send");
            activity.SetTag("messaging.destination.name", topic);
            if (partition >= 0)
                activity.SetTag("messaging.destination.partition.id", PartitionId(partition));
        }
        return activity;
    }

    /// <summary>Ends a publish span with its delivery: the partition and offset, or the error.</summary>
    public static void EndPublish(Activity? activity, TopicPartition partition, long offset, Exception? error)
    {
        if (activity is null)
            return;
        if (activity.IsAllDataRequested)
        {
            if (partition.Partition >= 0)
                activity.SetTag("messaging.destination.partition.id", PartitionId(partition.Partition));
            if (offset >= 0)
                activity.SetTag("messaging.kafka.offset", offset);
            if (error is not null)
            {
                activity.SetStatus(ActivityStatusCode.Error, error.Message);
                activity.SetTag("error.type", error.GetType().FullName);
            }
        }
        // Delivery may end the span on the producer's sender thread: Stop sets Activity.Current there, which must stay.
        Activity? current = Activity.Current;
        activity.Stop();
        Activity.Current = current;
    }

    /// <summary>Records a receive span for one record returned by a consumer (a point in time: the record was there).</summary>
    public static void Received(TopicPartition partition, long offset, string? groupId)
    {
        using Activity? activity = Source.StartActivity("receive " + partition.Topic, ActivityKind.Consumer);
        if (activity is null || !activity.IsAllDataRequested)
            return;
        activity.SetTag("messaging.system", System);
        activity.SetTag("messaging.operation.name", "receive");
        activity.SetTag("messaging.operation.type", "receive");
        activity.SetTag("messaging.destination.name", partition.Topic);
        activity.SetTag("messaging.destination.partition.id", PartitionId(partition.Partition));
        activity.SetTag("messaging.kafka.offset", offset);
        if (groupId is not null)
            activity.SetTag("messaging.consumer.group.name", groupId);
    }

    private static string PartitionId(int partition) => partition.ToString(CultureInfo.InvariantCulture);
}
