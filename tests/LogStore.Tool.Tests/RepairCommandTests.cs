using System.Globalization;
using LogStore.Tool.Tests.TestSupport;

namespace LogStore.Tool.Tests;

[TestFixture]
public sealed class RepairCommandTests : ToolTestBase
{
    private const int Batches = 20;

    /// <summary>Twenty batches of three records in partition 0 of <paramref name="topic"/>, closed cleanly; returns the
    /// segment's log file.</summary>
    private async Task<string> Fill(string topic)
    {
        var batches = new (long, string?, string)[Batches][];
        for (int b = 0; b < Batches; b++)
            batches[b] = [.. Enumerable.Range(b * 3, 3).Select(i => (1000L + i, (string?)$"k{i}", $"v{i}"))];
        return (await AppendBatches(topic, batches))[0].LogPath;
    }

    private static long BatchStart(string log, int batch)
    {
        byte[] bytes = File.ReadAllBytes(log);
        long position = 0;
        for (int b = 0; b < batch; b++)
            position += 12 + System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan((int)position + 8));
        return position;
    }

    private static void FlipBit(string file, long position)
    {
        byte[] bytes = File.ReadAllBytes(file);
        bytes[position] ^= 0x08;
        File.WriteAllBytes(file, bytes);
    }

    [Test]
    public async Task Repair_FlippedBitInABatch_CutsFromThatBatchKeepingTheBytesBeside()
    {
        string log = await Fill("t");
        long damaged = BatchStart(log, 15);
        FlipBit(log, damaged + 70);
        byte[] before = File.ReadAllBytes(log);

        CliRun run = await Cli.RunAsync("repair", "--data", Data);

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        string cut = $"{log}.cut-{damaged}";
        Assert.That(run.OutLines, Is.EqualTo(new[]
        {
            $"repaired {log}: cut {before.Length - damaged} bytes at position {damaged} (the CRC does not match the batch's bytes); they are kept in {cut}",
        }));
        Assert.That(run.ErrLines, Is.EqualTo(new[] { "checked 1 segments of 1 partitions: 1 repaired" }));
        Assert.That(File.ReadAllBytes(log), Is.EqualTo(before[..(int)damaged]));
        Assert.That(File.ReadAllBytes(cut), Is.EqualTo(before[(int)damaged..]), "everything cut is kept beside the segment");
        // The close's producer-state snapshot, at the log end (offset 60), covered batches that were cut: believed, it
        // would answer a retry of one of them with the offsets of records that are gone.
        Assert.That(Directory.GetFiles(Path.GetDirectoryName(log)!, "*.snapshot"), Is.Empty);

        // The store opens, keeps its log end (no offset is handed out twice), and reads the offsets cut as missing.
        await using Broker broker = await OpenBroker();
        Partition p = broker.Topics.Single(t => t.Name == "t").Partitions[0];
        Assert.That(p.LogEndOffset, Is.EqualTo(Batches * 3));
        using (FetchResult first = await p.ReadAsync(0, 1 << 20))
            Assert.That(first.BatchCount, Is.EqualTo(15));
        Assert.ThrowsAsync<CorruptRecordException>(async () => await p.ReadAsync(45, 1 << 20));
        Assert.That((await p.AppendAsync(BuildOne())).BaseOffset, Is.EqualTo(Batches * 3));
    }

    [Test]
    public async Task Repair_TornTail_CutsOnlyTheTornBatch()
    {
        string log = await Fill("t");
        byte[] whole = File.ReadAllBytes(log);
        File.WriteAllBytes(log, whole[..^5]);
        long last = BatchStart(log, Batches - 1);

        CliRun run = await Cli.RunAsync("repair", "--data", Data, "--topic", "t", "--partition", "0");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(new FileInfo(log).Length, Is.EqualTo(last));
        Assert.That(File.ReadAllBytes($"{log}.cut-{last}"), Is.EqualTo(whole[(int)last..^5]));
        Assert.That(File.Exists(Path.ChangeExtension(log, ".index")), Is.False, "the index is rebuilt at the next open");
    }

    [Test]
    public async Task Repair_UndamagedStore_ChangesNothing()
    {
        string log = await Fill("t");
        Dictionary<string, byte[]> before = Directory.GetFiles(Path.GetDirectoryName(log)!).ToDictionary(f => f, File.ReadAllBytes);

        CliRun run = await Cli.RunAsync("repair", "--data", Data);

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Out, Is.Empty);
        Assert.That(Directory.GetFiles(Path.GetDirectoryName(log)!).ToDictionary(f => f, File.ReadAllBytes), Is.EqualTo(before));
    }

    [Test]
    public async Task Repair_OneTopic_LeavesTheOthersAlone()
    {
        string a = await Fill("a");
        string b = await Fill("b");
        FlipBit(a, BatchStart(a, 3) + 70);
        FlipBit(b, BatchStart(b, 3) + 70);
        byte[] bBefore = File.ReadAllBytes(b);

        CliRun run = await Cli.RunAsync("repair", "--data", Data, "--topic", "a");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.OutLines, Has.Length.EqualTo(1).And.Some.Contain(a));
        Assert.That(new FileInfo(a).Length, Is.EqualTo(BatchStart(a, 3)));
        Assert.That(File.ReadAllBytes(b), Is.EqualTo(bBefore));
    }

    [Test]
    public async Task Repair_WhileABrokerHasTheStoreOpen_RefusesAndChangesNothing()
    {
        string log = await Fill("t");
        FlipBit(log, BatchStart(log, 2) + 70);
        byte[] before = File.ReadAllBytes(log);
        await using Broker broker = await OpenBroker();

        CliRun run = await Cli.RunAsync("repair", "--data", Data);

        AssertOneErrorLine(run, 1, "locked");
        Assert.That(File.ReadAllBytes(log), Is.EqualTo(before));
    }

    [Test]
    public async Task Repair_UnknownTopic_Fails()
    {
        await Fill("t");
        AssertOneErrorLine(await Cli.RunAsync("repair", "--data", Data, "--topic", "nope"), 1, "unknown topic 'nope'");
        AssertOneErrorLine(await Cli.RunAsync("repair", "--data", Data, "--topic", "t", "--partition", "3"), 1, "unknown partition 3 of topic 't'");
    }

    [Test]
    public async Task Repair_PartitionWithoutTopic_IsAUsageError()
    {
        await Fill("t");
        CliRun run = await Cli.RunAsync("repair", "--data", Data, "--partition", "0");
        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Err, Does.Contain("--partition needs --topic"));
    }

    [Test]
    public async Task Repair_MissingDataDirectory_Fails() =>
        AssertOneErrorLine(await Cli.RunAsync("repair", "--data", Path.Combine(Data, "missing")), 1, "does not exist");

    private static RecordBatch BuildOne()
    {
        using var builder = new RecordBatchBuilder();
        builder.Append(5000, "k"u8.ToArray(), "v"u8.ToArray());
        return builder.Build();
    }
}
