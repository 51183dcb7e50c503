using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using LogStore.CrashHost;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Reliability;

/// <summary>
/// Issue 5's crash loop: a child process (tests/LogStore.CrashHost) produces durably and prints each acknowledged
/// offset; the test SIGKILLs it after a seeded-random number of acknowledgements, checks a copy of what the kill left
/// on disk (<see cref="CrashLoopChecker"/>), and starts the next child on the crashed store itself, so the child's
/// own recovery is checked by the next round. See tests/RELIABILITY.md.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class CrashLoopTests
{
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Kills on one store before the loop starts a fresh one (the CI setting stays on a single store).</summary>
    private const int KillsPerStore = 50;

    /// <summary>The CI setting: every mode, 80 kills in all (producer 30, roll 20, retention 15, compaction 15).</summary>
    [TestCase("producer", 30, 300, 5101)]
    [TestCase("roll", 20, 80, 5102)]
    [TestCase("retention", 15, 150, 5103)]
    [TestCase("compact", 15, 150, 5104)]
    public async Task CrashLoop_SigkillAtRandomMoments_EveryAcknowledgedRecordSurvivesIntact(string mode, int kills, int maxAcksBetweenKills, int seed)
    {
        CrashLoopFigures figures = await RunAsync(mode, kills, maxAcksBetweenKills, seed);
        TestContext.Out.WriteLine(figures.ToString());
        AssertModeExercised(figures);
    }

    /// <summary>The soak setting (≥ 200 kills per mode): run with <c>--filter "TestCategory=Soak"</c>.</summary>
    [Explicit("Soak: minutes long")]
    [Category("Soak")]
    [TestCase("producer", 200, 400, 6101)]
    [TestCase("roll", 200, 80, 6102)]
    [TestCase("retention", 200, 200, 6103)]
    [TestCase("compact", 200, 200, 6104)]
    public async Task CrashLoop_Soak_EveryAcknowledgedRecordSurvivesIntact(string mode, int kills, int maxAcksBetweenKills, int seed)
    {
        CrashLoopFigures figures = await RunAsync(mode, kills, maxAcksBetweenKills, seed);
        TestContext.Out.WriteLine(figures.ToString());
        AssertModeExercised(figures);
    }

    /// <summary>The variants test what they claim: segments rolled, retention deleted, the cleaner removed records.</summary>
    private static void AssertModeExercised(CrashLoopFigures figures)
    {
        Assert.That(figures.MaxSegments, Is.GreaterThan(1), $"{figures}: no segment rolled.");
        // Retention and the cleaner run on the child's real-clock background loop: on a loaded 2-core machine they may
        // not get a turn before the kills end. That weakens the run's coverage, not its checks, so it warns.
        if (figures.Mode == "retention" && figures.MaxLogStartOffset == 0)
            Assert.Warn($"{figures}: retention never deleted a segment.");
        if (figures.Mode == "compact" && figures.MaxCompactedAway == 0)
            Assert.Warn($"{figures}: the cleaner never removed a record.");
    }

    private static async Task<CrashLoopFigures> RunAsync(string mode, int kills, int maxAcksBetweenKills, int seed)
    {
        string host = HostPath();
        var random = new Random(seed);
        var clock = Stopwatch.StartNew();
        long acknowledged = 0, verified = 0, maxLogStart = 0, maxCompacted = 0;
        int maxSegments = 0;
        // Each round re-checks the whole log, so the soak starts a fresh store every KillsPerStore kills to keep
        // its cost linear in the kills.
        for (int first = 0; first < kills; first += KillsPerStore)
        {
            using var store = new TempDirectory();
            var checker = new CrashLoopChecker(mode);
            for (int round = first; round < Math.Min(kills, first + KillsPerStore); round++)
            {
                // Some kills come right after the child opened the store (during its recovery or first append).
                int killAfter = random.Next(8) == 0 ? random.Next(3) : random.Next(1, maxAcksBetweenKills + 1);
                ChildRun run = await RunChildAsync(host, store.Path, mode, random.Next(), killAfter);
                checker.AcceptRun(round, run.Start, run.Acks);
                using TempDirectory image = store.CrashImage();
                await checker.CheckAsync(round, image.Path);
            }
            acknowledged += checker.AcknowledgedRecords;
            verified += checker.RecordsVerified;
            maxLogStart = Math.Max(maxLogStart, checker.MaxLogStartOffset);
            maxCompacted = Math.Max(maxCompacted, checker.MaxCompactedAway);
            maxSegments = Math.Max(maxSegments, checker.MaxSegments);
        }
        Assert.That(acknowledged, Is.GreaterThan(kills / 2), "The children acknowledged almost nothing.");
        return new CrashLoopFigures(mode, kills, acknowledged, verified, maxSegments, maxLogStart, maxCompacted, clock.Elapsed);
    }

    /// <summary>Starts a child, reads until <paramref name="killAfter"/> acknowledgements, SIGKILLs it and collects
    /// every complete line it printed, including those still in the pipe.</summary>
    private static async Task<ChildRun> RunChildAsync(string host, string dataDirectory, string mode, int seed, int killAfter)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(host);
        info.ArgumentList.Add(dataDirectory);
        info.ArgumentList.Add(mode);
        info.ArgumentList.Add(seed.ToString(CultureInfo.InvariantCulture));
        using var child = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start.");
        var stderr = new System.Text.StringBuilder();
        child.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        child.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(ChildTimeout);
        var lines = new List<string>();
        try
        {
            int acks = 0;
            while (acks < killAfter || lines.Count == 0)
            {
                string? line = await child.StandardOutput.ReadLineAsync(timeout.Token);
                if (line is null)
                    Assert.Fail($"The child exited on its own (code {(child.WaitForExit(5000) ? child.ExitCode : -1)}): {Stderr(stderr)}");
                lines.Add(line!);
                if (line!.StartsWith("ACK ", StringComparison.Ordinal))
                    acks++;
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"The child printed nothing for {ChildTimeout}: {Stderr(stderr)}");
        }
        finally
        {
            child.Kill(entireProcessTree: true);   // SIGKILL on Linux
            await child.WaitForExitAsync(CancellationToken.None);
        }

        // The pipe may still hold acknowledgements printed before the kill; a line cut short by it is not one.
        string rest = await child.StandardOutput.ReadToEndAsync(CancellationToken.None);
        string[] tail = rest.Split('\n');
        lines.AddRange(tail[..^1]);
        if (lines.Count == 0 || !lines[0].StartsWith("START ", StringComparison.Ordinal))
            Assert.Fail($"The child's first line is not START: {Stderr(stderr)}");
        string[] start = lines[0].Split(' ');
        var acknowledged = new List<(long Offset, long Seq)>(lines.Count);
        foreach (string line in lines.Skip(1))
        {
            string[] parts = line.Split(' ');
            Assert.That(parts.Length == 3 && parts[0] == "ACK", Is.True, $"Unexpected child output line '{line}'.");
            acknowledged.Add((long.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture)));
        }
        return new ChildRun((long.Parse(start[1], CultureInfo.InvariantCulture), long.Parse(start[2], CultureInfo.InvariantCulture)), acknowledged);
    }

    private static string Stderr(System.Text.StringBuilder stderr)
    {
        lock (stderr)
            return stderr.Length == 0 ? "(no stderr)" : stderr.ToString();
    }

    private static string HostPath()
    {
        string? path = typeof(CrashLoopTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "CrashHostPath")?.Value;
        if (path is null || !File.Exists(path))
            Assert.Fail($"The crash host is not built at '{path}': build LogStore.sln (the test project references tests/LogStore.CrashHost).");
        return path!;
    }

    private sealed record ChildRun((long LogEndOffset, long NextSeq) Start, List<(long Offset, long Seq)> Acks);
}

/// <summary>What one crash loop did, for tests/RELIABILITY.md.</summary>
internal sealed record CrashLoopFigures(string Mode, int Kills, long AcknowledgedRecords, long RecordsVerified, int MaxSegments,
    long MaxLogStartOffset, long MaxCompactedAway, TimeSpan Elapsed)
{
    public override string ToString() =>
        $"crash loop '{Mode}': {Kills} kills, {AcknowledgedRecords} acknowledged records, {RecordsVerified} record reads verified, " +
        $"up to {MaxSegments} segments, log start up to {MaxLogStartOffset}, up to {MaxCompactedAway} records compacted away, {Elapsed.TotalSeconds:F1} s";
}
