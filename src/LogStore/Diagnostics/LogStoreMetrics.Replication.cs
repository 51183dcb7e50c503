using System.Diagnostics;
using System.Diagnostics.Metrics;
using LogStore.Cluster.Controller;
using LogStore.Storage.Replication.Fetching;

namespace LogStore.Diagnostics;

/// <summary>
/// The replication instruments of cluster nodes (Kafka's ReplicaManager, fetcher and controller metrics):
/// <list type="table">
/// <item><term><c>logstore.isr.shrinks</c>, <c>logstore.isr.expands</c></term><description>Counters, on the leader, of
/// committed ISR changes it applied that removed (added) replicas: its own AlterPartition proposals and the controller's
/// removal of a fenced node alike (Kafka's IsrShrinksPerSec, IsrExpandsPerSec); one change both removing and adding
/// counts once in each.</description></item>
/// <item><term><c>logstore.follower.lag</c></term><description>Observable gauge, per partition this node follows: the
/// leader's high watermark less the local log end at the last fetch, never negative (Kafka's fetcher ConsumerLag),
/// tagged <c>logstore.node.id</c> too.</description></item>
/// <item><term><c>logstore.follower.fetched.bytes</c>, <c>logstore.follower.fetch.duration</c>,
/// <c>logstore.follower.apply.duration</c></term><description>A counter and histograms per fetch of a follower, tagged
/// <c>logstore.node.id</c> and <c>logstore.leader.id</c>: the record bytes fetched (Kafka's fetcher BytesPerSec), the
/// time from sending the request to the whole answer (network, the leader's read and its wait for data), and the time
/// the follower took to append them.</description></item>
/// <item><term><c>logstore.controller.active</c></term><description>Observable gauge, per node: 1 while its controller is
/// the active one (the Raft leader), else 0 (Kafka's ActiveControllerCount).</description></item>
/// <item><term><c>logstore.controller.metadata.offset</c>, <c>logstore.controller.epoch</c></term><description>Observable
/// gauges, per node: the offset of the last metadata record applied to its image (Kafka's LastAppliedRecordOffset) and
/// the Raft term (the controller epoch).</description></item>
/// </list>
/// The controller gauges carry only <c>logstore.node.id</c>, no topic. Nodes are the registered brokers with
/// <see cref="BrokerOptions.Replication"/>; a stand-alone broker measures none of these.
/// </summary>
internal static partial class LogStoreMetrics
{
    private const string NodeTag = "logstore.node.id";
    private const string LeaderTag = "logstore.leader.id";

    private static void CreateReplicationGauges()
    {
        Meter.CreateObservableGauge("logstore.follower.lag", ObserveFollowerLag, "{record}",
            "Records between the leader's high watermark and this follower's log end at its last fetch (Kafka's ConsumerLag).");
        Meter.CreateObservableGauge("logstore.controller.active", () => ObserveControllers(static c => c.IsActive ? 1 : 0), "{controller}",
            "1 on the node whose controller is active (the Raft leader), else 0 (Kafka's ActiveControllerCount).");
        Meter.CreateObservableGauge("logstore.controller.metadata.offset", () => ObserveControllers(static c => c.Image.Offset), "{record}",
            "Offset of the last metadata record applied to this node's image (Kafka's LastAppliedRecordOffset).");
        Meter.CreateObservableGauge("logstore.controller.epoch", () => ObserveControllers(static c => c.Term), "{epoch}",
            "The controller quorum's Raft term, Kafka's controller epoch.");
    }

    /// <summary>Counts a committed ISR change the leader of <paramref name="tp"/> applied, by its direction(s).</summary>
    public static void RecordIsrChange(TopicPartition tp, bool shrank, bool expanded)
    {
        if (shrank && IsrShrinks.Enabled)
            IsrShrinks.Add(1, Tags(tp));
        if (expanded && IsrExpands.Enabled)
            IsrExpands.Add(1, Tags(tp));
    }

    /// <summary>Measures one fetch of node <paramref name="nodeId"/>'s fetcher from leader <paramref name="leaderId"/>:
    /// the record bytes it brought, the wait for the answer, and the time to apply it.</summary>
    public static void RecordFollowerFetch(int nodeId, int leaderId, long bytes, TimeSpan fetch, TimeSpan apply)
    {
        if (!FollowerFetchDuration.Enabled && !FollowerApplyDuration.Enabled && !FollowerFetchedBytes.Enabled)
            return;
        var tags = new TagList { { NodeTag, nodeId }, { LeaderTag, leaderId } };
        FollowerFetchedBytes.Add(bytes, tags);
        FollowerFetchDuration.Record(fetch.TotalSeconds, tags);
        FollowerApplyDuration.Record(apply.TotalSeconds, tags);
    }

    /// <summary>Reads each followed partition's lag, a volatile field its fetcher writes, from the collecting thread.</summary>
    private static List<Measurement<long>> ObserveFollowerLag()
    {
        var measurements = new List<Measurement<long>>();
        foreach (Broker broker in RegisteredBrokers())
        {
            if (broker.ClusterServices is not { Fetchers: ReplicaFetcherManager fetchers } services)
                continue;
            foreach (PartitionFetchState state in fetchers.States())
            {
                TagList tags = Tags(state.Id);
                tags.Add(NodeTag, services.NodeId);
                measurements.Add(new Measurement<long>(state.Lag, tags));
            }
        }
        return measurements;
    }

    private static List<Measurement<long>> ObserveControllers(Func<QuorumController, long> measure)
    {
        var measurements = new List<Measurement<long>>();
        foreach (Broker broker in RegisteredBrokers())
        {
            if (broker.ClusterServices is not { Controller: { } controller } services)
                continue;
            long value;
            try
            {
                value = measure(controller);
            }
            catch (ObjectDisposedException)
            {
                // The broker is closing: its controller stopped before the broker left the registered ones.
                continue;
            }
            measurements.Add(new Measurement<long>(value, new KeyValuePair<string, object?>(NodeTag, services.NodeId)));
        }
        return measurements;
    }

    private static Broker[] RegisteredBrokers()
    {
        lock (BrokersLock)
            return [.. Brokers];
    }
}
