using System.Text;
using LogStore;

namespace EventSourcing;

/// <summary>Reads the ledger back: state by replay, state as of a time, one account's history.</summary>
internal static class Ledger
{
    public const string Topic = "ledger";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Replays every partition from offset 0 up to, not including, the first event at or after <paramref name="before"/>
    /// (to the end when null) and folds the events into balances. The stop offset of each partition comes from its
    /// time index: no event after it is even read.
    /// </summary>
    public static async Task<Dictionary<string, decimal>> ReplayAsync(Broker broker, DateTimeOffset? before)
    {
        var balances = new Dictionary<string, decimal>();
        await foreach (ConsumeResult<string, AccountEvent> result in ReadAsync(broker, partition: null, before))
            balances[result.Message.Key] = result.Message.Value.Apply(balances.GetValueOrDefault(result.Message.Key));
        return balances;
    }

    /// <summary>The events of one account: they all sit in the partition its key maps to, in the order they happened,
    /// so only that partition is read.</summary>
    public static async Task<(int Partition, List<AccountEvent> Events)> HistoryAsync(Broker broker, string account)
    {
        // The producer's default partitioner (murmur2 of the key bytes, as Kafka's) says where the key's events are.
        int partition = DefaultPartitioner.Instance.Partition(Topic, Encoding.UTF8.GetBytes(account), keyIsNull: false,
            broker.TryGetTopic(Topic, out Topic? topic) ? topic.Partitions.Count : 0);
        var events = new List<AccountEvent>();
        await foreach (ConsumeResult<string, AccountEvent> result in ReadAsync(broker, partition, before: null))
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
    private static async IAsyncEnumerable<ConsumeResult<string, AccountEvent>> ReadAsync(Broker broker, int? partition, DateTimeOffset? before)
    {
        if (!broker.TryGetTopic(Topic, out Topic? topic))
            throw new InvalidOperationException($"The topic {Topic} does not exist.");
        await using IConsumer<string, AccountEvent> consumer = broker.CreateConsumer<string, AccountEvent>(new ConsumerOptions(),
            valueDeserializer: Deserializers.Json<AccountEvent>());
        var ends = new Dictionary<TopicPartition, long>();
        foreach (Partition p in topic.Partitions)
        {
            if (partition is not null && p.Id.Partition != partition)
                continue;
            // OffsetForTimestamp: the first offset whose timestamp is at or after the time, or null when there is none.
            long end = before is { } time ? consumer.OffsetForTimestamp(p.Id, time) ?? p.LogEndOffset : p.LogEndOffset;
            if (end > p.LogStartOffset)
                ends[p.Id] = end;
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
