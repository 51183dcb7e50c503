// Event sourcing on LogStore: an account ledger. Every change to an account is an event appended to the "ledger"
// topic with the account id as key, so all of an account's events sit in one partition, in order. No balance is
// stored anywhere: after a restart the state is rebuilt by replaying the log from offset 0, and the state as of any
// past time T by replaying only the events before T, found through each partition's time index (OffsetForTimestamp).
//
// With --kafka HOST:PORT the same ledger lives on a Kafka cluster through LogStore.Kafka (a topic of the run's own);
// "closing the store" is then disconnecting.
//
//   dotnet run --project samples/EventSourcing [-- --kafka HOST:PORT]
using EventSourcing;
using LogStore;
using LogStore.Kafka;

string? kafka = args is ["--kafka", var bootstrap] ? bootstrap
    : args.Length == 0 ? null : throw new ArgumentException("Usage: EventSourcing [--kafka HOST:PORT]");
if (kafka is not null)
    Ledger.Topic = $"ledger-{Guid.NewGuid().ToString("N")[..8]}";
string dataDirectory = Path.Combine(Path.GetTempPath(), $"logstore-eventsourcing-{Guid.NewGuid():N}");
var brokerOptions = new BrokerOptions { DataDirectory = dataDirectory };
// An hour of history, one event a minute from a whole minute; the events carry their own timestamps.
DateTimeOffset start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds() / 60 * 60);
DateTimeOffset asOf = start.AddMinutes(25);
IReadOnlyList<AccountEvent> history = AccountEvent.SampleHistory(start, count: 48);

// The one place that knows which store it is: everything below works on IClientSupplier.
async ValueTask<IClientSupplier> OpenAsync() => kafka is null
    ? await Broker.OpenAsync(brokerOptions)
    : new KafkaClientSupplier(new KafkaClientSupplierOptions { BootstrapServers = kafka });

Console.WriteLine(kafka is null ? $"Data directory: {dataDirectory}" : $"Kafka cluster: {kafka}, topic {Ledger.Topic}");
await using (IClientSupplier broker = await OpenAsync())
{
    // An event store keeps its events forever: no time or size retention.
    await broker.CreateTopicAsync(Ledger.Topic, new TopicConfig { Partitions = 4, RetentionTime = null });
    await using IProducer<string, AccountEvent> producer = broker.CreateProducer<string, AccountEvent>(
        new ProducerOptions { Linger = TimeSpan.Zero }, valueSerializer: Serializers.Json<AccountEvent>());
    var partitionOf = new SortedDictionary<string, int>(StringComparer.Ordinal);
    foreach (AccountEvent e in history)
    {
        DeliveryResult delivered = await producer.ProduceAsync(Ledger.Topic,
            new Message<string, AccountEvent> { Key = e.Account, Value = e, Timestamp = e.At });
        partitionOf[e.Account] = delivered.TopicPartition.Partition;
    }
    Console.WriteLine($"Appended {history.Count} events from {start:HH:mm} to {history[^1].At:HH:mm}; each account's events are in one partition:");
    Console.WriteLine("  " + string.Join(", ", partitionOf.Select(p => $"{p.Key} -> {Ledger.Topic}-{p.Value}")));
}
Console.WriteLine("Closed the store: the application keeps nothing in memory.");

int failures = 0;
await using (IClientSupplier broker = await OpenAsync())
{
    Dictionary<string, decimal> now = await Ledger.ReplayAsync(broker, before: null);
    Console.WriteLine("State rebuilt by replaying the ledger from offset 0:");
    failures += Ledger.Print(now, AccountEvent.Balances(history, before: null));

    Dictionary<string, decimal> then = await Ledger.ReplayAsync(broker, before: asOf);
    Console.WriteLine($"State as of {asOf:HH:mm}, replaying each partition only up to its first event at or after that time:");
    failures += Ledger.Print(then, AccountEvent.Balances(history, before: asOf));

    string account = history[0].Account;
    (int partition, List<AccountEvent> events) = await Ledger.HistoryAsync(broker, account);
    Console.WriteLine($"History of {account}, read from {Ledger.Topic}-{partition} alone:");
    decimal balance = 0;
    bool marked = false;
    foreach (AccountEvent e in events)
    {
        if (!marked && e.At >= asOf)
        {
            Console.WriteLine($"  ---- {asOf:HH:mm}: the state as of then is the balance above ----");
            marked = true;
        }
        balance = e.Apply(balance);
        Console.WriteLine($"  {e.At:HH:mm}  {e.Kind,-9} {e.Amount,8:0.00}  balance {balance,8:0.00}");
    }
    failures += events.Count == history.Count(e => e.Account == account) ? 0 : 1;
}

if (kafka is null)
    Directory.Delete(dataDirectory, recursive: true);
Console.WriteLine(failures == 0 ? "Every replayed balance matches the events appended." : $"{failures} balances do not match.");
return failures == 0 ? 0 : 1;
