using System.Globalization;
using System.Text;

namespace LogStore.Tool.Tests.TestSupport;

/// <summary>What the tool's tests do to a <see cref="LoopbackCluster"/>: topics of three replicas, records appended
/// on the leader.</summary>
internal static class LoopbackClusterWrites
{
    /// <summary>Creates a topic of <paramref name="partitions"/> partitions and three replicas; waits for full ISRs.</summary>
    public static Task<int> CreateTopicAsync(this LoopbackCluster cluster, string name, int partitions, CancellationToken cancellationToken) =>
        cluster.CreateTopicAsync(name, new TopicConfig { Partitions = partitions, ReplicationFactor = LoopbackCluster.Size }, cancellationToken);

    /// <summary>Appends <paramref name="count"/> one-record batches to the leader and waits for the high watermark to
    /// reach them (every replica fetched them).</summary>
    public static async Task AppendAsync(this LoopbackCluster cluster, string topic, int partition, int count, CancellationToken cancellationToken)
    {
        Partition leader = cluster.Leader(topic, partition);
        long target = leader.LogEndOffset + count;
        for (int i = 0; i < count; i++)
        {
            using var builder = new RecordBatchBuilder();
            builder.Append(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), null, Encoding.UTF8.GetBytes(i.ToString(CultureInfo.InvariantCulture)));
            await leader.AppendAsync(builder.Build(), cancellationToken);
        }
        while (leader.HighWatermark < target)
            await Task.Delay(10, cancellationToken);
    }
}
