using LogStore.Tests.TestSupport;
using Microsoft.Extensions.Logging;

namespace LogStore.Tests.Diagnostics;

/// <summary>The log events operators alert on, with their fixed event ids, through BrokerOptions.LoggerFactory.</summary>
[TestFixture]
public sealed class LogEventTests : DiagnosticsFixture
{
    [Test]
    public async Task CreateTopic_LogsTopicCreated()
    {
        await using Broker broker = await Open();
        await broker.CreateTopicAsync(Topic, new TopicConfig { Partitions = 3 });

        CapturingLoggerFactory.LogEntry entry = Logs.WithId(1011).Single();
        Assert.That(entry.Level, Is.EqualTo(LogLevel.Information));
        Assert.That(entry.Message, Does.Contain(Topic).And.Contain("3 partitions"));
    }

    [Test]
    public async Task NewGroup_StartingWithoutACommit_LogsAtDebugOnly_AndAnOutOfRangeCommitAtInformation()
    {
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync(Topic, new TopicConfig { Partitions = 1 })).Partitions[0];
        await p.AppendAsync(Batches.Batch(Batches.Make(0, 4)));
        var options = new ConsumerOptions { GroupId = "g", AutoOffsetReset = AutoOffsetReset.Earliest, EnableAutoCommit = false };
        await using (IConsumer<string, string> fresh = broker.CreateConsumer<string, string>(options))
        {
            fresh.Assign([new TopicPartitionOffset(p.Id, Offset.Stored)]);
            await fresh.ConsumeAsync(TimeSpan.Zero);
            fresh.Commit([new TopicPartitionOffset(p.Id, 100)]);
        }
        await using (IConsumer<string, string> beyond = broker.CreateConsumer<string, string>(options))
        {
            beyond.Assign([new TopicPartitionOffset(p.Id, Offset.Stored)]);
            await beyond.ConsumeAsync(TimeSpan.Zero);
        }

        Assert.That(Logs.WithId(3011).Select(e => e.Level), Is.EqualTo(new[] { LogLevel.Debug }));
        CapturingLoggerFactory.LogEntry reset = Logs.WithId(3007).Single();
        Assert.That(reset.Level, Is.EqualTo(LogLevel.Information));
        Assert.That(reset.Message, Does.Contain("offset 100 was out of range"));
    }

    [Test]
    public async Task CreateTopic_InANewStore_LogsNoRecoveryAtInformation()
    {
        await using Broker broker = await Open();
        await broker.CreateTopicAsync(Topic, new TopicConfig { Partitions = 3 });

        Assert.That(Logs.WithId(1007), Is.Empty, "a new partition was reported as recovered");
        Assert.That(Logs.WithId(1013).Select(e => e.Level), Is.EqualTo(Enumerable.Repeat(LogLevel.Debug, 3)));
    }

    [Test]
    public async Task Roll_LogsSegmentRolledWithTheNewBaseOffset()
    {
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync(Topic, new TopicConfig { SegmentBytes = 300 })).Partitions[0];
        for (int i = 0; i < 6; i++)
            await p.AppendAsync(Batches.Batch(Batches.Make(i * 4, 4)));

        List<CapturingLoggerFactory.LogEntry> rolls = Logs.WithId(1006);
        Assert.That(rolls, Has.Count.EqualTo(p.Segments.Count - 1));
        Assert.That(rolls.Select(r => r.Message), Is.EqualTo(p.Segments.Skip(1).Select(s => $"Rolled {p.Id} to a new segment at offset {s.BaseOffset}")));
    }

    [Test]
    public async Task Retention_LogsTheSegmentsDeleted()
    {
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync(Topic, new TopicConfig { SegmentBytes = 300, RetentionTime = TimeSpan.FromHours(1) })).Partitions[0];
        for (int i = 0; i < 6; i++)
            await p.AppendAsync(Batches.Batch(Batches.Make(i * 4, 4)));
        Time.Advance(TimeSpan.FromDays(1));

        int deleted = broker.Retention.RunOnce();

        CapturingLoggerFactory.LogEntry entry = Logs.WithId(1101).Single();
        Assert.That(deleted, Is.GreaterThan(0));
        Assert.That(entry.Message, Does.Contain(p.Id.ToString()).And.Contain("retention.time"));
    }

    [Test]
    public async Task DeleteRecords_LogsTheNewLogStartOffset()
    {
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync(Topic, new TopicConfig { SegmentBytes = 300 })).Partitions[0];
        for (int i = 0; i < 6; i++)
            await p.AppendAsync(Batches.Batch(Batches.Make(i * 4, 4)));

        p.Log.DeleteRecordsBefore(10);

        Assert.That(Logs.WithId(1012).Single().Message, Does.Contain($"of {p.Id} to 10"));
        Assert.That(Logs.WithId(1101).Single().Message, Does.Contain("log_start_offset"));
    }

    [Test]
    public async Task DeleteTopic_LogsTopicDeleted()
    {
        await using Broker broker = await Open();
        await broker.CreateTopicAsync(Topic);

        await broker.DeleteTopicAsync(Topic);

        Assert.That(Logs.WithId(1010).Single().Message, Does.Contain(Topic));
    }

    [Test]
    public async Task Recovery_OfAGarbageTail_LogsUncleanShutdownTruncationAndRecovery()
    {
        TempDirectory image;
        await using (Broker broker = await Open())
        {
            Partition p = (await broker.CreateTopicAsync(Topic)).Partitions[0];
            for (int i = 0; i < 3; i++)
                await p.AppendAsync(Batches.Batch(Batches.Make(i * 4, 4)));
            image = Dir.CrashImage();
        }
        using (image)
        {
            string log = Directory.GetFiles(image.Combine(Topic + "-0"), "*.log").Single();
            using (var stream = new FileStream(log, FileMode.Append))
                stream.Write(Enumerable.Range(0, 100).Select(i => (byte)(i * 37)).ToArray());
            var logs = new CapturingLoggerFactory();

            await using Broker reopened = await Broker.OpenAsync(new BrokerOptions { DataDirectory = image.Path, TimeProvider = Time, LoggerFactory = logs });

            Assert.That(logs.WithId(1002).Single().Level, Is.EqualTo(LogLevel.Warning));
            CapturingLoggerFactory.LogEntry truncated = logs.WithId(1003).Single();
            Assert.That(truncated.Level, Is.EqualTo(LogLevel.Warning));
            Assert.That(truncated.Message, Does.Contain(Path.GetFileName(log)).And.Contain("100 bytes dropped"));
            Assert.That(logs.WithId(1007).Single().Message, Does.Contain($"{Topic}-0"));
            Assert.That(reopened.Topics.Single().Partitions[0].LogEndOffset, Is.EqualTo(12));
        }
    }
}
