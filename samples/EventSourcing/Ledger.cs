using System.Text;
using LogStore;

namespace EventSourcing;

/// <summary>Reads the ledger back: state by replay, state as of a time, one account's history.</summary>
internal static class Ledger
{
    /// <summary>"ledger" embedded; on a Kafka cluster, which outlives the sample, a name of this run's own.</summary>
    public static string Topic { get; set; } = "ledger";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Replays every partition from offset 0 up to, not including, the first event at or after <paramref name="before"/>
    /// (to the end when null) and folds the events into balances. The stop offset of each partition comes from its
    /// time index: no event after it is even read.
    /// </summary>
    public static async Task<Dictionary<string, decimal>> ReplayAsync(IClientSupplier clients, DateTimeOffset? before)
    {
        var balances = new Dictionary<string, decimal>();
        await foreach (ConsumeResult<string, AccountEvent> result in ReadAsync(clients, partition: null, before))
            balances[result.Message.Key] = result.Message.Value.Apply(balances.GetValueOrDefault(result.Message.Key));
        return balances;
    }

    /// <summary>The events of one account: they all sit in the partition its key maps to, in the order they happened,
    /// so only that partition is read.</summary>
    public static async Task<(int Partition, List<AccountEvent> Events)> HistoryAsync(IClientSupplier clients, string account)
    {
        // The producer's default partitioner (murmur2 of the key bytes, as Kafka's) says where the key's events are.
        int partitionCount = (await clients.PartitionsForAsync(Topic)).Count;
        int partition = DefaultPartitioner.Instance.Partition(Topic, Encoding.UTF8.GetBytes(account), keyIsNull: false, partitionCount);
        var events = new List<AccountEvent>();
        await foreach (ConsumeResult<string, AccountEvent> result in ReadAsync(clients, partition, before: null))
        {
            if (result.Message.Key == account)
                events.Add(result.Message.Value);
        }
        return (partition, events);
    }

    /// <summary>Prints the balances beside the expected ones; returns how many differ.</summary>
    public static int Print(Dictionary<string, decimal> replayed, Dictionary<string, decimal> expected)
    {
        int failures = 0;
        foreach (string account in expected.Keys.Union(replayed.Keys).Order(StringComparer.Ordinal))
        {
            decimal got = replayed.GetValueOrDefault(account);
            bool ok = replayed.ContainsKey(account) && expected.TryGetValue(account, out decimal want) && want == got;
            failures += ok ? 0 : 1;
            Console.WriteLine($"  {account,-10} {got,8:0.00}{(ok ? "" : $"   expected {expected.GetValueOrDefault(account):0.00}")}");
        }
        return failures;
    }

    /// <summary>
    /// Every record of the given partition (all partitions when null) from offset 0 up to the first one at or after
    /// <paramref name="before"/>, read with a consumer assigned by hand (no group: nothing is committed).
    /// </summary>
    private static async IAsyncEnumerable<ConsumeResult<string, AccountEvent>> ReadAsync(IClientSupplier clients, int? partition, DateTimeOffset? before)
    {
        IReadOnlyList<TopicPartition> partitions = await clients.PartitionsForAsync(Topic);   // UnknownTopicException if none
        await using IConsumer<string, AccountEvent> consumer = clients.CreateConsumer<string, AccountEvent>(new ConsumerOptions(),
            valueDeserializer: Deserializers.Json<AccountEvent>());
        var ends = new Dictionary<TopicPartition, long>();
        foreach (TopicPartition p in partitions)
        {
            if (partition is not null && p.Partition != partition)
                continue;
            WatermarkOffsets bounds = consumer.QueryWatermarkOffsets(p, Patience);
            // OffsetForTimestamp: the first offset whose timestamp is at or after the time, or null when there is none.
            long end = before is { } time ? consumer.OffsetForTimestamp(p, time) ?? bounds.High : bounds.High;
            if (end > bounds.Low)
                ends[p] = end;
        }
        if (ends.Count == 0)
            yield break;
        consumer.Assign(ends.Keys.Select(tp => new TopicPartitionOffset(tp, 0)));
        while (ends.Keys.Any(tp => consumer.Position(tp) < ends[tp]))
        {
            ConsumeResult<string, AccountEvent> result = await consumer.ConsumeAsync(Patience)
                ?? throw new TimeoutException("The replay found no record where the log has some.");
            if (result.Offset < ends[result.TopicPartition])
                yield return result;
        }
    }
}
