using System.Diagnostics;
using System.Net;
using LogStore.Tests.Diagnostics;
using LogStore.Tests.TestSupport;
using Kafka = Confluent.Kafka;

namespace LogStore.Tests.Network.Security;

/// <summary>
/// Confluent.Kafka (librdkafka, KIP-368 since 2.2) against a listener whose SASL sessions last a few seconds
/// (<see cref="KafkaListenerSaslOptions.ConnectionsMaxReauth"/>): the client re-authenticates before each session ends,
/// so producing keeps working across several lifetimes and the broker never closes a connection for an expired session.
/// Real time, as librdkafka's timers are: the run is bounded by a count of records and a deadline.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ConfluentReauthenticationTests : BrokerFixture
{
    private static readonly TimeSpan SessionLifetime = TimeSpan.FromSeconds(3);

    [TestCase(Kafka.SaslMechanism.ScramSha256)]
    [TestCase(Kafka.SaslMechanism.Plain)]
    public async Task Producer_KeepsProducingAcrossSessionLifetimes_ByReauthenticating(Kafka.SaslMechanism mechanism)
    {
        using var logs = new CapturingLoggerFactory();
        var credentials = new SaslCredentialStore();
        credentials.AddUser("alice", "wonderland");
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = Dir.Path,
            LoggerFactory = logs,
            KafkaListener = new KafkaListenerOptions
            {
                Endpoint = new IPEndPoint(IPAddress.Loopback, 0),
                Sasl = new KafkaListenerSaslOptions
                {
                    Credentials = credentials,
                    EnabledMechanisms = [SaslMechanism.Plain, SaslMechanism.ScramSha256],
                    ConnectionsMaxReauth = SessionLifetime,
                },
            },
        });
        await broker.CreateTopicAsync("renewed");
        var config = new Kafka.ProducerConfig
        {
            BootstrapServers = broker.KafkaEndpoint!.ToString(),
            SecurityProtocol = Kafka.SecurityProtocol.SaslPlaintext,
            SaslMechanism = mechanism,
            SaslUsername = "alice",
            SaslPassword = "wonderland",
            Acks = Kafka.Acks.All,
            LingerMs = 0,
            MessageTimeoutMs = 10_000,
        };
        using var producer = new Kafka.ProducerBuilder<Kafka.Null, string>(config).Build();

        // One record every 100 ms for three and a half lifetimes: each session ends while records are being produced.
        var clock = Stopwatch.StartNew();
        int produced = 0;
        while (clock.Elapsed < SessionLifetime * 3.5 && produced < 200)
        {
            Kafka.DeliveryResult<Kafka.Null, string> delivered = await producer.ProduceAsync("renewed", new Kafka.Message<Kafka.Null, string> { Value = $"r{produced}" });
            Assert.That(delivered.Offset.Value, Is.EqualTo(produced));
            produced++;
            await Task.Delay(100);
        }

        Assert.That(logs.WithId(5018), Has.Count.GreaterThanOrEqualTo(2), "re-authenticated at least twice");
        Assert.That(logs.WithId(5017), Is.Empty, "no connection outlived its session");
        Assert.That(broker.TryGetTopic("renewed", out Topic? topic) ? topic.Partitions[0].LogEndOffset : -1, Is.EqualTo(produced));
    }
}
