using System.Globalization;
using LogStore.Tool.Commands;

namespace LogStore.Tool.Mirror;

/// <summary>Before the first record is sent: where each partition starts, and a target topic that can take them.</summary>
internal static partial class TopicMirror
{
    // The settings a topic created on the cluster takes from the source: how long records stay and how they are cleaned.
    // The rest (segment sizes, flushing) is the cluster's business.
    private static readonly string[] s_copiedConfigs = ["cleanup.policy", "retention.ms", "retention.bytes"];
    private static readonly string[] s_copiedCompactionConfigs = ["delete.retention.ms", "min.cleanable.dirty.ratio"];

    /// <summary>
    /// The first offset to mirror: the checkpoint's, else --from-offset, --from-timestamp or the log start. An offset
    /// retention already deleted starts at the log start; one past the end mirrors nothing; both say so.
    /// </summary>
    private static long StartOffset(Partition partition, long end, MirrorRequest request, IReadOnlyDictionary<int, long>? checkpoint,
        List<string> notes)
    {
        int p = partition.Id.Partition;
        long start = checkpoint is not null && checkpoint.TryGetValue(p, out long saved) ? saved
            : request.FromOffset ?? (request.FromTimestamp is DateTimeOffset time ? partition.OffsetForTimestamp(time) ?? end
                : partition.LogStartOffset);
        long logStart = partition.LogStartOffset;
        if (start < logStart)
        {
            notes.Add(Invariant($"partition {p}: offsets before {logStart} were deleted by retention; starting at {logStart}"));
            return logStart;
        }
        if (start > end)
        {
            notes.Add(Invariant($"partition {p}: offset {start} is past the log end offset {end}; nothing to mirror"));
            return end;
        }
        return start;
    }

    /// <summary>
    /// The partition count of the target topic: as found, when it has the partitions the mapping needs; else a failure
    /// that says what to do. A missing topic is created with the source's partition count, retention and cleanup policy.
    /// </summary>
    private static async Task<int> PrepareTargetTopicAsync(KafkaTarget target, Topic source, MirrorRequest request, List<string> notes,
        CancellationToken cancellationToken)
    {
        int required = request.Mapping.RequiredTargetPartitions(source.Partitions.Count);
        int? count = target.FindPartitionCount(request.TargetTopic);
        if (count is null)
        {
            int partitions = Math.Max(source.Partitions.Count, required);
            Dictionary<string, string> configs = ConfigsOf(source.Config);
            if (await target.CreateTopicAsync(request.TargetTopic, partitions, request.ReplicationFactor, configs, cancellationToken).ConfigureAwait(false))
            {
                notes.Add(Invariant($"created topic '{request.TargetTopic}' with {partitions} partitions, ") +
                    string.Join(", ", configs.Select(c => $"{c.Key}={c.Value}")));
                return partitions;
            }
            // Created meanwhile by someone else: take it as found.
            count = target.FindPartitionCount(request.TargetTopic)
                ?? throw new CommandException($"topic '{request.TargetTopic}' on {request.BootstrapServers} was created and deleted again meanwhile");
        }
        if (count < required)
        {
            throw new CommandException(request.Mapping.Kind == PartitionMappingKind.Same
                ? Invariant($"target topic '{request.TargetTopic}' on {request.BootstrapServers} has {count} partitions, fewer than the ") +
                  Invariant($"{required} of '{source.Name}': add partitions to it (kafka-topics --alter --partitions {required}), ") +
                  "or map onto fewer with --partitions modulo (partition i to i mod the count) or --partitions key (by key)"
                : Invariant($"target topic '{request.TargetTopic}' on {request.BootstrapServers} has {count} partitions, ") +
                  Invariant($"but --partitions maps to partition {required - 1}"));
        }
        return count.Value;
    }

    private static Dictionary<string, string> ConfigsOf(TopicConfig config)
    {
        bool compacted = config.CleanupPolicy != CleanupPolicy.Delete;
        var configs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string name, string value) in TopicConfigSettings.Describe(config))
        {
            if (s_copiedConfigs.Contains(name) || (compacted && s_copiedCompactionConfigs.Contains(name)))
                configs[name] = value;
        }
        return configs;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
