using System.Net;
using System.Security.Cryptography.X509Certificates;
using LogStore.Tests.Diagnostics;
using LogStore.Tests.TestSupport;
using Kafka = Confluent.Kafka;

namespace LogStore.Tests.Network.Security;

/// <summary>
/// Confluent.Kafka (librdkafka) against a listener requiring SASL, over plaintext (SASL_PLAINTEXT) and TLS with client
/// certificates required (SASL_SSL): each mechanism produces and reads back; a wrong password, a client without SASL, a
/// plaintext client against SASL_SSL and a client without a certificate are each refused with the client's own error,
/// and the refusal is logged.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ConfluentSaslTests : BrokerFixture
{
    private const string User = "alice";
    private const string Password = "wonderland";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private CapturingLoggerFactory _logs = null!;
    private Broker? _broker;

    [SetUp]
    public void CreateLogs() => _logs = new CapturingLoggerFactory();

    [TearDown]
    public async Task CloseBroker()
    {
        if (_broker is not null)
            await _broker.DisposeAsync();
        _logs.Dispose();
    }

    private async Task<string> OpenBrokerAsync(bool tls)
    {
        var credentials = new SaslCredentialStore();
        credentials.AddUser(User, Password);
        _broker = await Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = Dir.Path,
            LoggerFactory = _logs,
            KafkaListener = new KafkaListenerOptions
            {
                Endpoint = new IPEndPoint(IPAddress.Loopback, 0),
                Sasl = new KafkaListenerSaslOptions
                {
                    Credentials = credentials,
                    EnabledMechanisms = [SaslMechanism.Plain, SaslMechanism.ScramSha256, SaslMechanism.ScramSha512],
                },
                Tls = tls
                    ? new KafkaListenerTlsOptions
                    {
                        ServerCertificate = TestCertificates.Server,
                        RequireClientCertificate = true,
                        TrustedClientCertificateAuthorities = new X509Certificate2Collection(TestCertificates.Client),
                    }
                    : null,
            },
        });
        await _broker.CreateTopicAsync("secured");
        return _broker.KafkaEndpoint!.ToString();
    }

    /// <summary>A client config with short timeouts, so that refusals end fast; over TLS it trusts the test server's
    /// certificate (written as PEM into the test's directory) and presents the client's unless told not to.</summary>
    private Kafka.ClientConfig Config(string bootstrap, Kafka.SecurityProtocol protocol, Kafka.SaslMechanism mechanism = Kafka.SaslMechanism.ScramSha256,
        string password = Password, bool clientCertificate = true)
    {
        var config = new Kafka.ClientConfig
        {
            BootstrapServers = bootstrap,
            SecurityProtocol = protocol,
            SocketTimeoutMs = 5000,
        };
        if (protocol is Kafka.SecurityProtocol.SaslPlaintext or Kafka.SecurityProtocol.SaslSsl)
        {
            config.SaslMechanism = mechanism;
            config.SaslUsername = User;
            config.SaslPassword = password;
        }
        if (protocol is Kafka.SecurityProtocol.Ssl or Kafka.SecurityProtocol.SaslSsl)
        {
            config.SslCaLocation = WritePem("ca.pem", TestCertificates.Server.ExportCertificatePem());
            // The listener advertises its address, 127.0.0.1, which the test certificate (CN=localhost) does not name.
            config.SslEndpointIdentificationAlgorithm = Kafka.SslEndpointIdentificationAlgorithm.None;
            if (clientCertificate)
            {
                config.SslCertificateLocation = WritePem("client.pem", TestCertificates.Client.ExportCertificatePem());
                config.SslKeyLocation = WritePem("client.key", TestCertificates.Client.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
            }
        }
        return config;
    }

    private string WritePem(string name, string pem)
    {
        string path = Path.Combine(Dir.Path, name);
        File.WriteAllText(path, pem);
        return path;
    }

    [TestCase(Kafka.SecurityProtocol.SaslPlaintext, Kafka.SaslMechanism.Plain)]
    [TestCase(Kafka.SecurityProtocol.SaslPlaintext, Kafka.SaslMechanism.ScramSha256)]
    [TestCase(Kafka.SecurityProtocol.SaslPlaintext, Kafka.SaslMechanism.ScramSha512)]
    [TestCase(Kafka.SecurityProtocol.SaslSsl, Kafka.SaslMechanism.Plain)]
    [TestCase(Kafka.SecurityProtocol.SaslSsl, Kafka.SaslMechanism.ScramSha256)]
    [TestCase(Kafka.SecurityProtocol.SaslSsl, Kafka.SaslMechanism.ScramSha512)]
    public async Task AuthenticatedClient_ProducesAndReadsBack(Kafka.SecurityProtocol protocol, Kafka.SaslMechanism mechanism)
    {
        string bootstrap = await OpenBrokerAsync(tls: protocol == Kafka.SecurityProtocol.SaslSsl);
        Kafka.ClientConfig config = Config(bootstrap, protocol, mechanism);

        using (var producer = new Kafka.ProducerBuilder<string, string>(new Kafka.ProducerConfig(config) { Acks = Kafka.Acks.All, MessageTimeoutMs = 10_000 }).Build())
        {
            for (int i = 0; i < 20; i++)
                producer.Produce(new Kafka.TopicPartition("secured", 0), new Kafka.Message<string, string> { Key = $"k{i}", Value = $"v{i}" });
            Assert.That(producer.Flush(Timeout), Is.Zero, "every record delivered");
        }

        using var consumer = new Kafka.ConsumerBuilder<string, string>(new Kafka.ConsumerConfig(config) { GroupId = "unused-by-assign", EnableAutoCommit = false }).Build();
        consumer.Assign(new Kafka.TopicPartitionOffset("secured", 0, Kafka.Offset.Beginning));
        var values = new List<string>();
        using var deadline = new CancellationTokenSource(Timeout);
        for (int polls = 0; values.Count < 20 && polls < 1000; polls++)
        {
            if (consumer.Consume(deadline.Token)?.Message is { } message)
                values.Add(message.Value);
        }
        Assert.That(values, Is.EqualTo(Enumerable.Range(0, 20).Select(i => $"v{i}")));
        Assert.That(_logs.WithId(5015).Select(e => e.Message), Has.Some.Contain(User));
    }

    [TestCase(Kafka.SecurityProtocol.SaslPlaintext, Kafka.SaslMechanism.ScramSha256)]
    [TestCase(Kafka.SecurityProtocol.SaslSsl, Kafka.SaslMechanism.ScramSha512)]
    [TestCase(Kafka.SecurityProtocol.SaslPlaintext, Kafka.SaslMechanism.Plain)]
    public async Task WrongPassword_FailsWithTheClientsAuthenticationError_AndIsLogged(Kafka.SecurityProtocol protocol, Kafka.SaslMechanism mechanism)
    {
        string bootstrap = await OpenBrokerAsync(tls: protocol == Kafka.SecurityProtocol.SaslSsl);
        var failed = new TaskCompletionSource<Kafka.Error>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var producer = new Kafka.ProducerBuilder<string, string>(new Kafka.ProducerConfig(Config(bootstrap, protocol, mechanism, password: "looking-glass"))
        {
            MessageTimeoutMs = 2500, // the refusal comes within milliseconds; the produce fails at this timeout
        }).SetErrorHandler((_, error) =>
        {
            if (error.Code is Kafka.ErrorCode.SaslAuthenticationFailed or Kafka.ErrorCode.Local_Authentication)
                failed.TrySetResult(error);
        }).Build();

        var produce = Assert.ThrowsAsync<Kafka.ProduceException<string, string>>(
            () => producer.ProduceAsync("secured", new Kafka.Message<string, string> { Key = "k", Value = "v" }));
        Kafka.Error error = await failed.Task.WaitAsync(Timeout);

        Assert.That(error.Reason, Does.Contain("Authentication failed"));
        Assert.That(produce, Is.Not.Null);
        Assert.That(_logs.WithId(5014), Is.Not.Empty, "the failed authentication is logged");
        Assert.That(_broker!.Topics.Single(t => t.Name == "secured").Partitions[0].HighWatermark, Is.Zero);
    }

    [Test]
    public async Task ClientWithoutSasl_IsRefused_AndTheRefusalLogged()
    {
        string bootstrap = await OpenBrokerAsync(tls: false);
        using var producer = new Kafka.ProducerBuilder<string, string>(new Kafka.ProducerConfig(Config(bootstrap, Kafka.SecurityProtocol.Plaintext))
        {
            MessageTimeoutMs = 2500, // the refusal comes within milliseconds; the produce fails at this timeout
        }).Build();

        var refused = Assert.ThrowsAsync<Kafka.ProduceException<string, string>>(
            () => producer.ProduceAsync("secured", new Kafka.Message<string, string> { Key = "k", Value = "v" }));

        Assert.That(refused!.Error.IsError, Is.True);
        Assert.That(_logs.WithId(5012).Select(e => e.Message), Has.Some.Contain("Unexpected Kafka request of type").And.Some.Contain("during SASL handshake"));
        Assert.That(_broker!.Topics.Single(t => t.Name == "secured").Partitions[0].HighWatermark, Is.Zero);
    }

    [Test]
    public async Task TlsClientWithoutCertificate_IsRefused_AndTheRefusalLogged()
    {
        string bootstrap = await OpenBrokerAsync(tls: true);
        using var producer = new Kafka.ProducerBuilder<string, string>(new Kafka.ProducerConfig(Config(bootstrap, Kafka.SecurityProtocol.SaslSsl, clientCertificate: false))
        {
            MessageTimeoutMs = 2500, // the refusal comes within milliseconds; the produce fails at this timeout
        }).Build();

        var refused = Assert.ThrowsAsync<Kafka.ProduceException<string, string>>(
            () => producer.ProduceAsync("secured", new Kafka.Message<string, string> { Key = "k", Value = "v" }));

        Assert.That(refused!.Error.IsError, Is.True);
        Assert.That(_logs.WithId(5010), Is.Not.Empty, "the TLS refusal is logged");
        Assert.That(_logs.WithId(5015), Is.Empty, "nobody authenticated");
    }

    [Test]
    public async Task PlaintextClientAgainstSaslSsl_IsRefused_AndTheRefusalLogged()
    {
        string bootstrap = await OpenBrokerAsync(tls: true);
        using var producer = new Kafka.ProducerBuilder<string, string>(new Kafka.ProducerConfig(Config(bootstrap, Kafka.SecurityProtocol.Plaintext))
        {
            MessageTimeoutMs = 2500, // the refusal comes within milliseconds; the produce fails at this timeout
        }).Build();

        var refused = Assert.ThrowsAsync<Kafka.ProduceException<string, string>>(
            () => producer.ProduceAsync("secured", new Kafka.Message<string, string> { Key = "k", Value = "v" }));

        Assert.That(refused!.Error.IsError, Is.True);
        Assert.That(_logs.WithId(5010), Is.Not.Empty, "the TLS refusal is logged");
        Assert.That(_broker!.Topics.Single(t => t.Name == "secured").Partitions[0].HighWatermark, Is.Zero);
    }
}
