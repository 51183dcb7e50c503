using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LogStore.Tests.TestSupport;
using LogStore.Tool.Tests.TestSupport;

namespace LogStore.Tool.Tests;

/// <summary>
/// <c>logstore mirror</c> into a second LogStore running as a Kafka broker on loopback (the only Kafka-protocol broker
/// on these machines): every field of every record arrives, partition for partition; a target that cannot take the
/// partitions, a missing topic and an unreachable cluster fail with one line each; a checkpoint resumes.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class MirrorCommandTests : ToolTestBase
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);
    private const long Past = 1_700_000_000_000;

    private TempDirectory _targetDir = null!;
    private Broker _target = null!;
    private string _bootstrap = null!;

    [SetUp]
    public async Task OpenTarget()
    {
        _targetDir = new TempDirectory();
        _target = await Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = _targetDir.Path,
            KafkaListener = new KafkaListenerOptions { Endpoint = new IPEndPoint(IPAddress.Loopback, 0) },
        });
        _bootstrap = _target.KafkaEndpoint!.ToString();
    }

    [TearDown]
    public async Task CloseTarget()
    {
        await _target.DisposeAsync();
        _targetDir.Dispose();
    }

    [Test]
    public async Task Mirror_SeveralPartitions_EveryRecordArrivesFieldByField_BesideARunningApplication()
    {
        await using Broker application = await OpenBroker();
        Topic source = await application.CreateTopicAsync("orders", new TopicConfig
        {
            Partitions = 3,
            RetentionTime = null,
            RetentionBytes = 1L << 30,
        });
        await FillAsync(source);

        CliRun run = await Mirror("--data", Data, "--to", _bootstrap, "--topic", "orders", "-X", "message.timeout.ms=30000");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(_target.TryGetTopic("orders", out Topic? mirrored), Is.True, run.ToString());
        Assert.That(mirrored!.Partitions, Has.Count.EqualTo(3), "created with the source's partition count");
        Assert.That((mirrored.Config.RetentionTime, mirrored.Config.RetentionBytes, mirrored.Config.CleanupPolicy),
            Is.EqualTo(((TimeSpan?)null, (long?)(1L << 30), CleanupPolicy.Delete)), "created with the source's retention");
        for (int p = 0; p < 3; p++)
        {
            List<string> expected = await ReadAllAsync(source.Partitions[p], withOffsets: false);
            List<string> actual = await ReadAllAsync(mirrored.Partitions[p], withOffsets: false);
            Assert.That(actual, Is.EqualTo(expected), $"partition {p}\n{run}");
        }
        Assert.That(run.Err, Does.Contain("were decompressed").And.Contain("LogAppendTime").And.Contain("tombstones"), run.ToString());
        Assert.That(run.Err, Does.Contain("partition 2 -> 2:"), run.ToString());
        Assert.That(run.Err, Does.Not.Contain("Stopped before the end"), run.ToString());
    }

    [Test]
    public async Task Mirror_TargetTopicWithFewerPartitions_IsRefusedAndWritesNothing()
    {
        await CreateSourceAsync(partitions: 3, recordsPerPartition: 5);
        await _target.CreateTopicAsync("orders", new TopicConfig { Partitions = 2 });

        CliRun run = await Mirror("--data", Data, "--to", _bootstrap, "--topic", "orders", "-X", "message.timeout.ms=30000");

        AssertOneErrorLine(run, 1, "has 2 partitions, fewer than the 3 of 'orders'");
        Assert.That(run.Err, Does.Contain("--partitions modulo"), "says how to go on");
        Assert.That(_target.Topics.Single(t => t.Name == "orders").Partitions.Sum(p => p.LogEndOffset), Is.Zero);
    }

    [Test]
    public async Task Mirror_FewerPartitionsWithModulo_FoldsEachSourcePartitionInOrder()
    {
        await CreateSourceAsync(partitions: 3, recordsPerPartition: 5);
        await _target.CreateTopicAsync("orders", new TopicConfig { Partitions = 2 });

        CliRun run = await Mirror("--data", Data, "--to", _bootstrap, "--topic", "orders", "--partitions", "modulo",
            "-X", "message.timeout.ms=30000");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Topic mirrored = _target.Topics.Single(t => t.Name == "orders");
        List<string> zero = await ReadValuesAsync(mirrored.Partitions[0]);
        List<string> one = await ReadValuesAsync(mirrored.Partitions[1]);
        // Source partitions are mirrored one after the other: 0 then 2 into partition 0, 1 into partition 1.
        Assert.That(zero, Is.EqualTo(Values(0, 5).Concat(Values(2, 5))), run.ToString());
        Assert.That(one, Is.EqualTo(Values(1, 5)), run.ToString());
    }

    [Test]
    public async Task Mirror_ByKey_KeepsEachKeyInOnePartition()
    {
        await using (Broker broker = await OpenBroker())
        {
            Topic topic = await broker.CreateTopicAsync("orders", new TopicConfig { Partitions = 3 });
            for (int p = 0; p < 3; p++)
            {
                using var builder = new RecordBatchBuilder();
                for (int i = 0; i < 20; i++)
                    builder.Append(Past + i, Encoding.UTF8.GetBytes($"key-{(p + i) % 6}"), Encoding.UTF8.GetBytes($"p{p}-{i}"));
                await topic.Partitions[p].AppendAsync(builder.Build());
            }
        }
        await _target.CreateTopicAsync("orders", new TopicConfig { Partitions = 2 });

        CliRun run = await Mirror("--data", Data, "--to", _bootstrap, "--topic", "orders", "--partitions", "key",
            "-X", "message.timeout.ms=30000");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Err, Does.Contain("partition 0 -> by key"), run.ToString());
        var partitionsOfKey = new Dictionary<string, HashSet<int>>();
        int total = 0;
        Topic mirrored = _target.Topics.Single(t => t.Name == "orders");
        for (int p = 0; p < 2; p++)
        {
            foreach (string line in await ReadAllAsync(mirrored.Partitions[p], withOffsets: false))
            {
                string key = line.Split(' ')[1];
                (partitionsOfKey.TryGetValue(key, out HashSet<int>? set) ? set : partitionsOfKey[key] = []).Add(p);
                total++;
            }
        }
        Assert.That(total, Is.EqualTo(60), run.ToString());
        Assert.That(partitionsOfKey.Values.Select(s => s.Count), Is.All.EqualTo(1), "every key in one partition");
    }

    [Test]
    public async Task Mirror_ExplicitMapAndTargetTopic_MirrorsOnlyTheListedPartitionsUnderTheNewName()
    {
        await CreateSourceAsync(partitions: 2, recordsPerPartition: 3);

        CliRun run = await Mirror("--data", Data, "--to", _bootstrap, "--topic", "orders", "--target-topic", "archive",
            "--partitions", "1=0", "-X", "message.timeout.ms=30000");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(_target.TryGetTopic("orders", out _), Is.False);
        Topic archive = _target.Topics.Single(t => t.Name == "archive");
        Assert.That(archive.Partitions, Has.Count.EqualTo(2), "created with the source's partition count");
        Assert.That(await ReadValuesAsync(archive.Partitions[0]), Is.EqualTo(Values(1, 3)), run.ToString());
        Assert.That(archive.Partitions[1].LogEndOffset, Is.Zero, "source partition 0 was not listed");
    }

    [Test]
    public async Task Mirror_FromTimestamp_StartsAtTheFirstRecordAtOrAfterIt()
    {
        await CreateSourceAsync(partitions: 1, recordsPerPartition: 5);
        string from = (Past + 1500).ToString(CultureInfo.InvariantCulture);

        CliRun run = await Mirror("--data", Data, "--to", _bootstrap, "--topic", "orders", "--from-timestamp", from,
            "-X", "message.timeout.ms=30000");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(await ReadValuesAsync(_target.Topics.Single(t => t.Name == "orders").Partitions[0]),
            Is.EqualTo(Values(0, 5).Skip(2)), run.ToString());
    }

    [Test]
    public async Task Mirror_UnknownSourceTopic_FailsWithOneLine()
    {
        await CreateSourceAsync(partitions: 1, recordsPerPartition: 1);

        CliRun run = await Mirror("--data", Data, "--to", _bootstrap, "--topic", "missing");

        AssertOneErrorLine(run, 1, "unknown topic 'missing'");
        Assert.That(_target.TryGetTopic("missing", out _), Is.False);
    }

    [Test]
    public async Task Mirror_UnreachableCluster_FailsWithinTheMessageTimeout()
    {
        await CreateSourceAsync(partitions: 1, recordsPerPartition: 1);
        int closedPort;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        var elapsed = Stopwatch.StartNew();

        CliRun run = await Mirror("--data", Data, "--to", $"127.0.0.1:{closedPort}", "--topic", "orders", "-X", "message.timeout.ms=2000");

        elapsed.Stop();
        AssertOneErrorLine(run, 1, $"cannot reach the Kafka cluster at 127.0.0.1:{closedPort} within 2000 ms");
        Assert.That(elapsed.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)), "bounded by message.timeout.ms");
    }

    [Test]
    public async Task Mirror_WithACheckpoint_ResumesAfterWhatWasMirrored()
    {
        await CreateSourceAsync(partitions: 2, recordsPerPartition: 3);
        string checkpoint = Path.Combine(Data, "..", Path.GetFileName(Data) + ".checkpoint.json");
        try
        {
            CliRun first = await Mirror("--data", Data, "--to", _bootstrap, "--topic", "orders", "--checkpoint", checkpoint,
                "-X", "message.timeout.ms=30000");
            Assert.That(first.ExitCode, Is.Zero, first.ToString());
            await AppendAsync(partition: 1, from: 3, count: 2);

            CliRun second = await Mirror("--data", Data, "--to", _bootstrap, "--topic", "orders", "--checkpoint", checkpoint,
                "-X", "message.timeout.ms=30000");

            Assert.That(second.ExitCode, Is.Zero, second.ToString());
            Assert.That(second.Err, Does.Contain("resuming from checkpoint"), second.ToString());
            Topic mirrored = _target.Topics.Single(t => t.Name == "orders");
            Assert.That(await ReadValuesAsync(mirrored.Partitions[0]), Is.EqualTo(Values(0, 3)), "nothing sent twice");
            Assert.That(await ReadValuesAsync(mirrored.Partitions[1]), Is.EqualTo(Values(1, 5)), second.ToString());
        }
        finally
        {
            File.Delete(checkpoint);
        }
    }

    [Test]
    public async Task Mirror_DeliveryRefusedByTheCluster_StopsAndKeepsTheLastAcknowledgedPosition()
    {
        await CreateSourceAsync(partitions: 1, recordsPerPartition: 3);
        await using (Broker broker = await OpenBroker())
        {
            using var builder = new RecordBatchBuilder();
            builder.Append(Past, null, new byte[8192]);
            await broker.Topics.Single(t => t.Name == "orders").Partitions[0].AppendAsync(builder.Build());
        }
        await _target.CreateTopicAsync("orders", new TopicConfig { MaxMessageBytes = 4096 });
        string checkpoint = Path.Combine(Data, "..", Path.GetFileName(Data) + ".refused.json");
        try
        {
            CliRun run = await Mirror("--data", Data, "--to", _bootstrap, "--topic", "orders", "--checkpoint", checkpoint,
                "-X", "message.timeout.ms=30000");

            Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
            Assert.That(run.ErrLines[^1], Does.StartWith("error: delivering partition 0 to topic 'orders'").And.Contain("too large"), run.ToString());
            Assert.That(run.Err, Does.Contain("Stopped before the end: partition 0 at offset "), "says where a rerun resumes");
            Assert.That(File.ReadAllText(checkpoint), Does.Contain("\"0\": 0").Or.Contain("\"0\": 3"),
                "the checkpoint holds an acknowledged position, never one past the refused record");
        }
        finally
        {
            File.Delete(checkpoint);
        }
    }

    [Test]
    public async Task Mirror_InterruptedByCtrlC_ExitsCleanlyAndTheCheckpointResumesIt()
    {
        await CreateSourceAsync(partitions: 2, recordsPerPartition: 4);
        string checkpoint = Path.Combine(Data, "..", Path.GetFileName(Data) + ".interrupted.json");
        try
        {
            // Ctrl+C as the target topic is reported created: before the first record is read.
            using var interrupt = new CancellationTokenSource();
            using var error = new InterruptingWriter("created topic", interrupt);
            using var output = new StringWriter();
            string[] args = ["mirror", "--data", Data, "--to", _bootstrap, "--topic", "orders", "--checkpoint", checkpoint,
                "-X", "message.timeout.ms=30000"];
            int exitCode = await LogStoreCli.RunAsync(args, TextReader.Null, output, error, interrupt.Token).WaitAsync(RunTimeout);

            string err = error.ToString();
            Assert.That(exitCode, Is.EqualTo(130), err);
            Assert.That(err, Does.Contain("Stopped before the end: partition 0 at offset 0 of 4, partition 1 at offset 0 of 4"), err);
            Assert.That(err, Does.Contain("Interrupted; what was sent was flushed."), err);

            CliRun resumed = await Mirror("--data", Data, "--to", _bootstrap, "--topic", "orders", "--checkpoint", checkpoint,
                "-X", "message.timeout.ms=30000");

            Assert.That(resumed.ExitCode, Is.Zero, resumed.ToString());
            Topic mirrored = _target.Topics.Single(t => t.Name == "orders");
            Assert.That(await ReadValuesAsync(mirrored.Partitions[0]), Is.EqualTo(Values(0, 4)), resumed.ToString());
            Assert.That(await ReadValuesAsync(mirrored.Partitions[1]), Is.EqualTo(Values(1, 4)), resumed.ToString());
        }
        finally
        {
            File.Delete(checkpoint);
        }
    }

    [Test]
    public async Task Mirror_CheckpointOfAnotherTopic_IsRefused()
    {
        await CreateSourceAsync(partitions: 1, recordsPerPartition: 1);
        string checkpoint = Path.Combine(Data, "..", Path.GetFileName(Data) + ".other.json");
        await File.WriteAllTextAsync(checkpoint, """{"topic":"payments","targetTopic":"payments","partitions":{"0":7}}""");
        try
        {
            CliRun run = await Mirror("--data", Data, "--to", _bootstrap, "--topic", "orders", "--checkpoint", checkpoint);

            AssertOneErrorLine(run, 1, "is for mirroring topic 'payments'");
        }
        finally
        {
            File.Delete(checkpoint);
        }
    }

    [TestCase("--partitions", "0:1", "--partitions must be same, modulo, key")]
    [TestCase("-X", "linger.ms", "-X 'linger.ms' is not name=value")]
    [TestCase("-X", "no.such.property=1", "-X: ")]
    [TestCase("--to", "kafka", "--to must be HOST:PORT")]
    public async Task Mirror_MalformedOption_IsAUsageError(string option, string value, string message)
    {
        await CreateSourceAsync(partitions: 1, recordsPerPartition: 1);
        var args = new List<string> { "--data", Data, "--topic", "orders" };
        if (option != "--to")
            args.AddRange(["--to", _bootstrap]);
        args.AddRange([option, value]);

        CliRun run = await Mirror([.. args]);

        AssertOneErrorLine(run, 2, message);
    }

    private static Task<CliRun> Mirror(params string[] args) => Cli.RunAsync(["mirror", .. args]).WaitAsync(RunTimeout);
}
