using System.Text;
using LogStore.Clients;
using LogStore.Clients.Groups;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Clients;

/// <summary>Shared helpers of the consumer and group tests: records appended straight to partitions (no producer),
/// consumers drained without waiting, groups pumped until their hand-over is complete.</summary>
internal static class ConsumerTestSupport
{
    /// <summary>Flips a byte inside the last record of <paramref name="partition"/>'s first batch, one of 5 records
    /// (<see cref="Append"/>), on disk: its CRC no longer matches.</summary>
    public static void CorruptFirstBatchOfFive(Partition partition)
    {
        long firstBatchSize = Batches.Make(0, 5).Length;
        using var file = new FileStream(partition.Segments[0].LogPath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        file.Position = firstBatchSize - 3;
        int b = file.ReadByte();
        file.Position--;
        file.WriteByte((byte)(b ^ 0xFF));
    }

    /// <summary>Appends one batch of <paramref name="count"/> records "k{id}"/"v{id}" and returns its base offset.</summary>
    public static async Task<long> Append(Partition partition, int firstId, int count, CompressionType compression = CompressionType.None, long timestamp = Batches.BaseTime)
    {
        AppendResult result = await partition.AppendAsync(Batches.Batch(Batches.Make(firstId, count, timestamp, compression: compression)));
        return result.BaseOffset;
    }

    /// <summary>Appends one batch of records with values "{tag}-{n}" for n from <paramref name="first"/>.</summary>
    public static async Task AppendTagged(Partition partition, string tag, int first, int count)
    {
        using var builder = new RecordBatchBuilder();
        for (int i = first; i < first + count; i++)
            builder.Append(Batches.BaseTime + i, Encoding.UTF8.GetBytes($"{tag}-{i}"), Encoding.UTF8.GetBytes($"{tag}-{i}"));
        await partition.AppendAsync(builder.Build());
    }

    /// <summary>Consumes without waiting until nothing is left now.</summary>
    public static async Task<List<ConsumeResult<string, string>>> Drain(IConsumer<string, string> consumer)
    {
        var results = new List<ConsumeResult<string, string>>();
        while (await consumer.ConsumeAsync(TimeSpan.Zero) is { } result)
            results.Add(result);
        return results;
    }

    /// <summary>
    /// Polls every consumer without waiting, round after round, until a round returns nothing and the group's
    /// hand-over is complete (every member owns exactly its target). Returns what was consumed.
    /// </summary>
    public static async Task<List<ConsumeResult<string, string>>> Pump(Broker broker, string groupId, params IConsumer<string, string>[] consumers)
    {
        ConsumerGroup group = GroupCoordinator.For(broker).GetGroup(groupId);
        var results = new List<ConsumeResult<string, string>>();
        for (int round = 0; round < 100; round++)
        {
            int before = results.Count;
            foreach (IConsumer<string, string> consumer in consumers)
                results.AddRange(await Drain(consumer));
            if (results.Count == before && IsSettled(group) && AllMatchTargets(group, consumers))
                return results;
        }
        Assert.Fail($"Group {groupId} did not settle after 100 rounds.");
        return results;
    }

    /// <summary>Every member owns exactly its target.</summary>
    public static bool IsSettled(ConsumerGroup group)
    {
        (Dictionary<TopicPartition, string> owners, Dictionary<string, List<TopicPartition>> targets) = group.Snapshot();
        int targeted = 0;
        foreach ((string member, List<TopicPartition> target) in targets)
        {
            targeted += target.Count;
            foreach (TopicPartition tp in target)
            {
                if (!owners.TryGetValue(tp, out string? owner) || owner != member)
                    return false;
            }
        }
        return targeted == owners.Count;
    }

    public static bool AllMatchTargets(ConsumerGroup group, IConsumer<string, string>[] consumers)
    {
        Dictionary<string, List<TopicPartition>> targets = group.Snapshot().Targets;
        foreach (IConsumer<string, string> consumer in consumers)
        {
            IGroupMembership? member = ((Consumer<string, string>)consumer).Member;
            if (member is null)
                continue;
            if (!targets.TryGetValue(member.MemberId, out List<TopicPartition>? target)
                || !new HashSet<TopicPartition>(target).SetEquals(consumer.Assignment))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The values of <paramref name="results"/>.</summary>
    public static List<string> Values(IEnumerable<ConsumeResult<string, string>> results) => results.Select(r => r.Message.Value).ToList();
}
