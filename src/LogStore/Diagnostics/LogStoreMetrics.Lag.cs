using System.Diagnostics;
using System.Diagnostics.Metrics;
using LogStore.Clients;

namespace LogStore.Diagnostics;

/// <summary>
/// <c>logstore.consumer.lag</c> (Kafka's records-lag): for each open consumer, each assigned partition's high watermark
/// less its position. Consumers are held through weak references, so one dropped without DisposeAsync is still
/// collected; a disposed one is removed at once.
/// </summary>
internal static partial class LogStoreMetrics
{
    private const string GroupTag = "logstore.consumer.group";

    private static readonly Lock ConsumersLock = new();
    private static readonly List<TrackedConsumer> Consumers = [];

    /// <summary>Adds a consumer's fetcher (its positions) to <c>logstore.consumer.lag</c>.</summary>
    public static void TrackConsumer(Fetcher fetcher, string? groupId)
    {
        lock (ConsumersLock)
        {
            // Consumers dropped without DisposeAsync leave dead references: swept here too, so the list stays bounded
            // by the consumers alive even when nobody ever collects the gauge.
            Consumers.RemoveAll(static c => !c.Fetcher.TryGetTarget(out _));
            Consumers.Add(new TrackedConsumer(new WeakReference<Fetcher>(fetcher), groupId));
        }
    }

    /// <summary>Removes a consumer's fetcher from <c>logstore.consumer.lag</c>.</summary>
    public static void UntrackConsumer(Fetcher fetcher)
    {
        lock (ConsumersLock)
            Consumers.RemoveAll(c => !c.Fetcher.TryGetTarget(out Fetcher? f) || ReferenceEquals(f, fetcher));
    }

    /// <summary>Runs on the collecting thread while the consumers run on theirs: the fetcher's partition array is
    /// replaced, never changed, and a position is one 64-bit field, so a racing read sees an older value, never a torn one.</summary>
    private static List<Measurement<long>> ObserveConsumerLag()
    {
        TrackedConsumer[] consumers;
        lock (ConsumersLock)
            consumers = [.. Consumers];
        var measurements = new List<Measurement<long>>();
        foreach (TrackedConsumer consumer in consumers)
        {
            if (!consumer.Fetcher.TryGetTarget(out Fetcher? fetcher))
                continue;
            foreach (Fetcher.PartitionState state in fetcher.Partitions)
            {
                long position = Volatile.Read(ref state.Position);
                if (position == Fetcher.UnknownPosition || state.Removed || state.Partition.Log.IsClosed)
                    continue;
                TagList tags = Tags(state.Id);
                if (consumer.GroupId is not null)
                    tags.Add(GroupTag, consumer.GroupId);
                measurements.Add(new Measurement<long>(Math.Max(0, state.Partition.HighWatermark - position), tags));
            }
        }
        return measurements;
    }

    private sealed record TrackedConsumer(WeakReference<Fetcher> Fetcher, string? GroupId);
}
