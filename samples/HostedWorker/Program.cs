// LogStore in a generic host. AddLogStore binds the "LogStore" configuration section, opens the store when the host
// starts and closes it cleanly when the host stops; OrderProducer (a BackgroundService) produces orders through the
// container's IProducer; BillingWorker (a LogStoreConsumerService) consumes them as a member of the "billing" group,
// committing after each one. The host stops by itself once every order is billed, unless told to run forever.
// With --kafka HOST:PORT the same producer and worker run on a Kafka cluster: AddLogStoreKafka replaces AddLogStore,
// and nothing else changes (a group "billing" and a topic "orders" with 3 partitions, created when missing).
//
//   dotnet run --project samples/HostedWorker [-- --records N] [--forever] [--data DIR | --kafka HOST:PORT]
using HostedWorker;
using LogStore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

SampleSettings settings = SampleSettings.Parse(args);
string dataDirectory = settings.DataDirectory ?? Path.Combine(Path.GetTempPath(), $"logstore-hostedworker-{Guid.NewGuid():N}");

HostApplicationBuilder builder = Host.CreateApplicationBuilder();
// Usually in appsettings.json; set in code here so that the sample runs from anywhere.
builder.Configuration.AddInMemoryCollection(settings.Kafka is null
    ? new Dictionary<string, string?> { ["LogStore:DataDirectory"] = dataDirectory, ["LogStore:Topics:orders:Partitions"] = "3" }
    : new Dictionary<string, string?> { ["LogStore:Kafka:BootstrapServers"] = settings.Kafka, ["LogStore:Kafka:Topics:orders:Partitions"] = "3" });
builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
builder.Logging.AddFilter("LogStore", LogLevel.Warning);                         // per-partition recovery details
builder.Logging.AddFilter("LogStore.Extensions.Hosting", LogLevel.Information);  // store opened and closed

if (settings.Kafka is null)
    builder.Services.AddLogStore(builder.Configuration);        // the embedded store
else
    builder.Services.AddLogStoreKafka(builder.Configuration);   // a Kafka cluster: the one line that changes
builder.Services.AddLogStoreProducer<string, string>(o => o.Producer = new ProducerOptions { Linger = TimeSpan.FromMilliseconds(1) });
builder.Services.AddSingleton(settings);
builder.Services.AddSingleton<OrderTally>();
builder.Services.AddHostedService<OrderProducer>();
builder.Services.AddHostedService<BillingWorker>();

IHost host = builder.Build();
OrderTally tally = host.Services.GetRequiredService<OrderTally>();
await host.RunAsync();   // until BillingWorker has billed every order, or Ctrl+C

Console.WriteLine($"Billed {tally.Billed} orders totalling {tally.Total:0.00}; the host stopped and the store closed cleanly.");
if (settings.DataDirectory is null && settings.Kafka is null)
    Directory.Delete(dataDirectory, recursive: true);
return settings.Forever || tally.Billed == settings.Records ? 0 : 1;
