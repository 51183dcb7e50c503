// LogStore's Kafka protocol on an ASP.NET Core application's own Kestrel: one port serves HTTP, another serves Kafka
// clients (kcat, Confluent.Kafka) from the application's embedded store, with Kestrel's hosting, limits and TLS.
// Run it with `--serve` to keep it running for kcat; without arguments it checks itself with Confluent.Kafka and exits.
using System.Net;
using Kafka = Confluent.Kafka;
using LogStore;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

string dataDirectory = Path.Combine(Path.GetTempPath(), "logstore-kafka-on-kestrel");
if (Directory.Exists(dataDirectory))
    Directory.Delete(dataDirectory, recursive: true);
await using Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = dataDirectory });
ConnectionHandler kafka = broker.CreateKafkaConnectionHandler();

WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);
ListenOptions? kafkaEndpoint = null;
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.Listen(IPAddress.Loopback, 0);                                                        // HTTP
    kestrel.Listen(IPAddress.Loopback, 0, listen => (kafkaEndpoint = listen).Run(kafka.OnConnectedAsync));   // Kafka
});
await using WebApplication app = builder.Build();
app.MapGet("/topics", () => broker.Topics.Select(t => new { t.Name, Partitions = t.Partitions.Count }));
await app.StartAsync();
string bootstrap = kafkaEndpoint!.IPEndPoint!.ToString();   // the port Kestrel bound
Console.WriteLine($"Kafka clients: {bootstrap} (try: kcat -b {bootstrap} -L); HTTP: {string.Join(", ", app.Urls)}");

if (args.Contains("--serve"))
{
    await app.WaitForShutdownAsync();
    return 0;
}

// The check: a Confluent producer writes through Kestrel, the application reads the records in process.
using (var producer = new Kafka.ProducerBuilder<string, string>(new Kafka.ProducerConfig { BootstrapServers = bootstrap, Acks = Kafka.Acks.All }).Build())
{
    for (int i = 0; i < 10; i++)
        await producer.ProduceAsync("orders", new Kafka.Message<string, string> { Key = $"k{i}", Value = $"order {i}" });
}
await using IConsumer<string, string> consumer = broker.CreateConsumer<string, string>(new ConsumerOptions());
consumer.Assign([new TopicPartitionOffset(new TopicPartition("orders", 0), Offset.Beginning)]);
int read = 0;
while (read < 10 && await consumer.ConsumeAsync(TimeSpan.FromSeconds(5)) is { } result)
{
    Console.WriteLine($"read in process: {result.Message.Key} = {result.Message.Value}");
    read++;
}
await app.StopAsync();
Console.WriteLine(read == 10 ? "OK: 10 records produced over Kestrel, read in process" : $"FAILED: read {read} of 10");
return read == 10 ? 0 : 1;
