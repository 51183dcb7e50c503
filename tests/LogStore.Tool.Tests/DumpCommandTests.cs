using System.Text.RegularExpressions;
using LogStore.Tool.Tests.TestSupport;

namespace LogStore.Tool.Tests;

[TestFixture]
public sealed partial class DumpCommandTests : ToolTestBase
{
    private static readonly (long, string?, string)[][] s_threeBatches =
    [
        [(1000, "k0", "v0"), (1001, "k1", "v1"), (1002, "k2", "v2")],
        [(2000, null, "v3")],
        [(3000, "k4", "v4"), (3001, "k5", "v5")],
    ];

    [Test]
    public async Task Dump_LogWrittenByTheLibrary_PrintsEveryBatchHeaderWithAValidCrc()
    {
        string log = (await AppendBatches("t", s_threeBatches))[0].LogPath;

        CliRun run = await Cli.RunAsync("dump", log);

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.OutLines[0], Is.EqualTo($"Dumping {log}"));
        Assert.That(run.OutLines[1], Is.EqualTo("Log starting offset: 0"));
        string[] batches = run.OutLines[2..];
        Assert.That(batches, Has.Length.EqualTo(3));
        Assert.That(batches[0], Does.StartWith("baseOffset: 0 lastOffset: 2 count: 3 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 "));
        Assert.That(batches[0], Does.Contain(" position: 0 CreateTime: 1002 size: ").And.Contain(" magic: 2 compresscodec: none crc: ").And.EndWith(" isvalid: true"));
        Assert.That(batches[1], Does.StartWith("baseOffset: 3 lastOffset: 3 count: 1 ").And.Contain("CreateTime: 2000").And.EndWith("isvalid: true"));
        Assert.That(batches[2], Does.StartWith("baseOffset: 4 lastOffset: 5 count: 2 ").And.Contain("CreateTime: 3001").And.EndWith("isvalid: true"));
        // Positions follow the sizes, and the last batch ends at the end of the file.
        long[] positions = batches.Select(b => long.Parse(Field(b, "position"))).ToArray();
        long[] sizes = batches.Select(b => long.Parse(Field(b, "size"))).ToArray();
        Assert.That(positions[1], Is.EqualTo(sizes[0]));
        Assert.That(positions[2], Is.EqualTo(sizes[0] + sizes[1]));
        Assert.That(positions[2] + sizes[2], Is.EqualTo(new FileInfo(log).Length));
    }

    [Test]
    public async Task Dump_PrintDataLog_PrintsEveryRecord()
    {
        string log = (await AppendBatches("t", s_threeBatches))[0].LogPath;

        CliRun run = await Cli.RunAsync("dump", log, "--print-data-log");

        string[] records = run.OutLines.Where(l => l.StartsWith("| ", StringComparison.Ordinal)).ToArray();
        Assert.That(records, Has.Length.EqualTo(6));
        Assert.That(records[0], Is.EqualTo("| offset: 0 CreateTime: 1000 keySize: 2 valueSize: 2 sequence: -1 headerKeys: [] key: k0 payload: v0"));
        Assert.That(records[3], Is.EqualTo("| offset: 3 CreateTime: 2000 keySize: -1 valueSize: 2 sequence: -1 headerKeys: [] payload: v3"));
        Assert.That(records[5], Is.EqualTo("| offset: 5 CreateTime: 3001 keySize: 2 valueSize: 2 sequence: -1 headerKeys: [] key: k5 payload: v5"));
    }

    [Test]
    public async Task Dump_FlippedBit_ShowsIsValidFalse_AndExitsWithDamagedData()
    {
        string log = CopyToScratch((await AppendBatches("t", s_threeBatches))[0].LogPath);
        byte[] bytes = File.ReadAllBytes(log);
        bytes[^3] ^= 0x10; // inside the last batch's records, which its CRC covers
        File.WriteAllBytes(log, bytes);

        CliRun run = await Cli.RunAsync("dump", log);

        Assert.That(run.ExitCode, Is.EqualTo(3), run.ToString());
        string[] batches = run.OutLines.Where(l => l.StartsWith("baseOffset:", StringComparison.Ordinal)).ToArray();
        Assert.That(batches.Select(b => Field(b, "isvalid")), Is.EqualTo(new[] { "true", "true", "false" }));
        Assert.That(run.ErrLines, Has.Length.EqualTo(1));
        Assert.That(run.ErrLines[0], Does.StartWith($"error: {log}: the batch at position ").And.Contain("(baseOffset 4) fails its CRC check"));
    }

    [Test]
    public async Task Dump_TornTail_PrintsTheWholeBatchesThenTheInvalidBytes()
    {
        string log = CopyToScratch((await AppendBatches("t", s_threeBatches))[0].LogPath);
        using (var file = new FileStream(log, FileMode.Open))
            file.SetLength(file.Length - 5);

        CliRun run = await Cli.RunAsync("dump", log);

        Assert.That(run.ExitCode, Is.EqualTo(3), run.ToString());
        Assert.That(run.OutLines.Count(l => l.StartsWith("baseOffset:", StringComparison.Ordinal)), Is.EqualTo(2));
        Assert.That(run.OutLines[^1], Does.Match(@"^Found \d+ invalid bytes at the end of 00000000000000000000\.log: the batch at position \d+ says it is \d+ bytes, but only \d+ remain \(a torn write\)$"));
        Assert.That(run.ErrLines, Has.Length.EqualTo(1));
    }

    [Test]
    public async Task Dump_PartialBatchHeaderAtTheEnd_IsReportedAsATornWrite()
    {
        string log = CopyToScratch((await AppendBatches("t", s_threeBatches))[0].LogPath);
        using (var file = new FileStream(log, FileMode.Append))
            file.Write(new byte[] { 0, 0, 0, 0, 0, 0, 0, 6, 0, 0 });

        CliRun run = await Cli.RunAsync("dump", log);

        Assert.That(run.ExitCode, Is.EqualTo(3), run.ToString());
        Assert.That(run.OutLines.Count(l => l.StartsWith("baseOffset:", StringComparison.Ordinal)), Is.EqualTo(3));
        Assert.That(run.OutLines[^1], Does.StartWith("Found 10 invalid bytes at the end of 00000000000000000000.log: a partial batch header at position "));
    }

    [Test]
    public async Task Dump_IndexesOfAnOpenSegment_StopAtTheZeroFilledTail()
    {
        await using Broker broker = await OpenBroker();
        // An index entry after every batch; the open (active) segment's indexes are preallocated and zero-filled.
        SegmentInfo segment = (await AppendBatches(broker, "t", s_threeBatches, new TopicConfig { IndexIntervalBytes = 1 }))[0];
        Assert.That(new FileInfo(segment.IndexPath).Length, Is.GreaterThan(1000), "preallocated");

        CliRun index = await Cli.RunAsync("dump", segment.IndexPath);
        CliRun timeIndex = await Cli.RunAsync("dump", segment.TimeIndexPath);
        CliRun log = await Cli.RunAsync("dump", segment.LogPath);

        Assert.That(index.ExitCode, Is.Zero, index.ToString());
        Assert.That(timeIndex.ExitCode, Is.Zero, timeIndex.ToString());
        string[] positions = log.OutLines.Where(l => l.StartsWith("baseOffset:", StringComparison.Ordinal)).Select(b => Field(b, "position")).ToArray();
        // Kafka's rule: an entry maps a batch's last offset to the batch's position; the batch at position 0 gets none.
        Assert.That(index.OutLines[1..], Is.EqualTo(new[] { $"offset: 3 position: {positions[1]}", $"offset: 5 position: {positions[2]}" }));
        Assert.That(timeIndex.OutLines[1..], Does.Contain("timestamp: 3001 offset: 5"));
        Assert.That(timeIndex.OutLines[1..].All(l => l.StartsWith("timestamp: ", StringComparison.Ordinal)), Is.True, timeIndex.ToString());
    }

    [Test]
    public async Task Dump_IndexWithAPartialEntry_ReportsIt()
    {
        string path = Path.Combine(Data, "00000000000000000100.index");
        File.WriteAllBytes(path, [0, 0, 0, 5, 0, 0, 0, 80, 0, 0, 0, 9]);

        CliRun run = await Cli.RunAsync("dump", path);

        Assert.That(run.ExitCode, Is.EqualTo(3), run.ToString());
        Assert.That(run.OutLines[1], Is.EqualTo("offset: 105 position: 80"));
        Assert.That(run.OutLines[^1], Is.EqualTo("Found 4 invalid bytes at the end of 00000000000000000100.index: a partial 8-byte entry"));
    }

    [Test]
    public async Task Dump_IndexGoingBackwards_ReportsTheEntry()
    {
        string path = Path.Combine(Data, "00000000000000000000.index");
        File.WriteAllBytes(path, [0, 0, 0, 9, 0, 0, 0, 80, 0, 0, 0, 5, 0, 0, 0, 90]);

        CliRun run = await Cli.RunAsync("dump", path);

        Assert.That(run.ExitCode, Is.EqualTo(3), run.ToString());
        Assert.That(run.ErrLines.Single(), Does.Contain("entry 1 (offset 5, position 90) does not follow entry 0 (offset 9, position 80)"));
    }

    [Test]
    public async Task Dump_KafkaSegmentFiles_ShowTheirBatchesAndIndexEntries()
    {
        string dir = TestData("segment-3-batches.log");

        CliRun run = await Cli.RunAsync("dump", Path.Combine(dir, "segment-3-batches.log"),
            Path.Combine(dir, "segment-3-batches.index"), Path.Combine(dir, "segment-3-batches.timeindex"));

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        string[] batches = run.OutLines.Where(l => l.StartsWith("baseOffset:", StringComparison.Ordinal)).ToArray();
        Assert.That(batches.Select(b => (Field(b, "baseOffset"), Field(b, "lastOffset"), Field(b, "position"), Field(b, "isvalid"))),
            Is.EqualTo(new[] { ("0", "9", "0", "true"), ("10", "19", "231", "true"), ("20", "29", "472", "true") }));
        Assert.That(run.OutLines, Does.Contain("offset: 19 position: 231").And.Contain("offset: 29 position: 472"));
        Assert.That(run.OutLines, Does.Contain("timestamp: 1700000001009 offset: 19").And.Contain("timestamp: 1700000002009 offset: 29"));
    }

    [TestCase("gzip-50", "gzip")]
    [TestCase("zstd-50", "zstd")]
    [TestCase("headers", "none")]
    public async Task Dump_KafkaBatch_DecodesItsRecords(string vector, string codec)
    {
        string log = Path.Combine(Data, "00000000000000000000.log");
        File.Copy(Path.Combine(TestData(vector + ".bin"), vector + ".bin"), log);

        CliRun run = await Cli.RunAsync("dump", log, "--print-data-log");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        string batch = run.OutLines.Single(l => l.StartsWith("baseOffset:", StringComparison.Ordinal));
        Assert.That(Field(batch, "compresscodec"), Is.EqualTo(codec));
        Assert.That(Field(batch, "isvalid"), Is.EqualTo("true"));
        Assert.That(run.OutLines.Count(l => l.StartsWith("| offset: ", StringComparison.Ordinal)), Is.EqualTo(int.Parse(Field(batch, "count"))));
        if (vector == "headers")
            Assert.That(run.Out, Does.Contain("headerKeys: [trace-id,content-type]").And.Contain("headerKeys: [retry,retry,café]"));
    }

    [Test]
    public async Task Dump_MissingFileOrUnknownKind_FailsWithOneLine()
    {
        string text = Path.Combine(Data, "notes.txt");
        File.WriteAllText(text, "hello");

        AssertOneErrorLine(await Cli.RunAsync("dump", Path.Combine(Data, "missing.log")), 1, "does not exist");
        AssertOneErrorLine(await Cli.RunAsync("dump", text), 1, "is not a .log, .index or .timeindex file");
    }

    /// <summary>The value after "name: " in a kafka-dump-log line.</summary>
    private static string Field(string line, string name)
    {
        Match match = Regex.Match(line, $@"(?:^| ){Regex.Escape(name)}: (\S+)");
        Assert.That(match.Success, Is.True, $"{name} in {line}");
        return match.Groups[1].Value;
    }

    private string CopyToScratch(string log)
    {
        string dir = Directory.CreateDirectory(Path.Combine(Data, "scratch")).FullName;
        string copy = Path.Combine(dir, Path.GetFileName(log));
        File.Copy(log, copy);
        return copy;
    }

    /// <summary>The folder holding a Kafka test vector (tests/testdata/kafka-record-batches, copied to the output).</summary>
    private static string TestData(string file)
    {
        string dir = Path.Combine(TestContext.CurrentContext.TestDirectory, "testdata", "kafka-record-batches");
        Assert.That(Path.Combine(dir, file), Does.Exist, "the vectors of tests/testdata are copied to the test output");
        return dir;
    }
}
