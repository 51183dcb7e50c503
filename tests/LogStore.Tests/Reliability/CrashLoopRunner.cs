using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Reliability;

/// <summary>
/// Runs issue 5's crash loop for one mode: starts the crash host (tests/LogStore.CrashHost) on a store, SIGKILLs it
/// after a seeded-random number of progress lines (acknowledged records, or acknowledged commits in the
/// <c>consume</c> mode), checks a copy of what the kill left (<see cref="CrashLoopChecker"/>) and starts the next
/// child on the crashed store itself, so each child's recovery is checked by the next round. Used by
/// <see cref="CrashLoopTests"/> (CI setting) and by the soak tool (tests/LogStore.Soak). Failures are NUnit
/// assertions. See tests/RELIABILITY.md.
/// </summary>
internal static class CrashLoopRunner
{
    /// <summary>Every mode of the crash host.</summary>
    public static readonly string[] Modes = ["producer", "roll", "retention", "compact", "consume"];

    private static readonly TimeSpan ChildTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Kills on one store before the loop starts a fresh one: each round re-checks the whole log, so a
    /// long run on one store would cost quadratic time.</summary>
    public const int KillsPerStore = 50;

    /// <summary>Runs <paramref name="kills"/> kills of <paramref name="mode"/>, each after 1 to
    /// <paramref name="maxProgressBetweenKills"/> progress lines (one round in eight after 0–2, i.e. during recovery).</summary>
    public static async Task<CrashLoopFigures> RunAsync(string mode, int kills, int maxProgressBetweenKills, int seed,
        Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        string host = HostPath();
        var random = new Random(seed);
        var clock = Stopwatch.StartNew();
        long acknowledged = 0, verified = 0, maxLogStart = 0, maxCompacted = 0, commits = 0, landed = 0, lost = 0;
        int maxSegments = 0, done = 0;
        for (int first = 0; first < kills; first += KillsPerStore)
        {
            using var store = new TempDirectory();
            var checker = new CrashLoopChecker(mode);
            for (int round = first; round < Math.Min(kills, first + KillsPerStore); round++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int killAfter = random.Next(8) == 0 ? random.Next(3) : random.Next(1, maxProgressBetweenKills + 1);
                // Half the kills wait for a line past the progress count: in the consume mode the next commit's start, so
                // they land inside Commit; in the compact mode the next finished cleaning, so the cleaner certainly ran
                // (on its real-clock loop it may not get a turn in a short-lived child) and the kill lands just after a swap.
                string? killAt = mode switch
                {
                    "consume" when random.Next(2) == 0 => "COMMITTING ",
                    "compact" when random.Next(2) == 0 => "CLEANED ",
                    _ => null,
                };
                ChildRun run = await RunChildAsync(host, store.Path, mode, random.Next(), killAfter, killAt);
                checker.AcceptRun(round, run);
                using TempDirectory image = store.CrashImage();
                await checker.CheckAsync(round, image.Path);
                done++;
            }
            acknowledged += checker.AcknowledgedRecords;
            verified += checker.RecordsVerified;
            commits += checker.Commits.AcknowledgedCommits;
            landed += checker.Commits.InFlightLanded;
            lost += checker.Commits.InFlightLost;
            maxLogStart = Math.Max(maxLogStart, checker.MaxLogStartOffset);
            maxCompacted = Math.Max(maxCompacted, checker.MaxCompactedAway);
            maxSegments = Math.Max(maxSegments, checker.MaxSegments);
            log?.Invoke($"  {mode}: {done}/{kills} kills, {acknowledged} records acknowledged, {clock.Elapsed.TotalSeconds:F0} s");
        }
        Assert.That(acknowledged, Is.GreaterThan(kills / 2), "The children acknowledged almost nothing.");
        return new CrashLoopFigures(mode, kills, acknowledged, verified, maxSegments, maxLogStart, maxCompacted, commits, landed, lost, clock.Elapsed);
    }

    /// <summary>The variants test what they claim: segments rolled, retention deleted, the cleaner removed records,
    /// consumers committed. Retention runs on the child's real-clock background loop, so on a loaded machine it may not
    /// get a turn: that weakens the run's coverage, not its checks, and only warns (through <paramref name="warn"/>;
    /// NUnit's warning by default). The cleaner is waited for (<c>CLEANED</c> lines), so it must have removed records.</summary>
    public static void AssertModeExercised(CrashLoopFigures figures, Action<string>? warn = null)
    {
        warn ??= Assert.Warn;
        Assert.That(figures.MaxSegments, Is.GreaterThan(1), $"{figures}: no segment rolled.");
        if (figures.Mode == "retention" && figures.MaxLogStartOffset == 0)
            warn($"{figures}: retention never deleted a segment.");
        if (figures.Mode == "compact")
            Assert.That(figures.MaxCompactedAway, Is.GreaterThan(0), $"{figures}: the cleaner never removed a record.");
        if (figures.Mode == "consume")
            Assert.That(figures.Commits, Is.GreaterThan(figures.Kills / 2), $"{figures}: the consumers committed almost nothing.");
    }

    /// <summary>Starts a child, reads until <paramref name="killAfter"/> progress lines (and then, when given, a line
    /// starting with <paramref name="killAt"/>), SIGKILLs it and collects every complete line it printed, including
    /// those still in the pipe.</summary>
    private static async Task<ChildRun> RunChildAsync(string host, string dataDirectory, string mode, int seed, int killAfter, string? killAt)
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
        string progress = mode == "consume" ? "COMMIT " : "ACK ";
        using var child = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start.");
        var stderr = new System.Text.StringBuilder();
        child.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        child.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(ChildTimeout);
        var lines = new List<string>();
        try
        {
            int seen = 0;
            bool waiting = true;
            while (waiting)
            {
                string? line = await child.StandardOutput.ReadLineAsync(timeout.Token);
                if (line is null)
                    Assert.Fail($"The child exited on its own (code {(child.WaitForExit(5000) ? child.ExitCode : -1)}): {Stderr(stderr)}");
                lines.Add(line!);
                if (line!.StartsWith(progress, StringComparison.Ordinal))
                    seen++;
                waiting = seen < killAfter || lines.Count == 0 || (killAt is not null && !line.StartsWith(killAt, StringComparison.Ordinal));
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"The child printed nothing{(killAt is null ? "" : $" (waiting for a line '{killAt.Trim()}')")} for {ChildTimeout}: {Stderr(stderr)}");
        }
        finally
        {
            child.Kill(entireProcessTree: true);   // SIGKILL on Linux
            await child.WaitForExitAsync(CancellationToken.None);
        }

        // The pipe may still hold lines printed before the kill; a line cut short by it is not one.
        string rest = await child.StandardOutput.ReadToEndAsync(CancellationToken.None);
        string[] tail = rest.Split('\n');
        lines.AddRange(tail[..^1]);
        return ChildRun.Parse(lines, () => Stderr(stderr));
    }

    private static string Stderr(System.Text.StringBuilder stderr)
    {
        lock (stderr)
            return stderr.Length == 0 ? "(no stderr)" : stderr.ToString();
    }

    internal static string HostPath()
    {
        string? path = typeof(CrashLoopRunner).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "CrashHostPath")?.Value;
        if (path is null || !File.Exists(path))
            Assert.Fail($"The crash host is not built at '{path}': build LogStore.sln (the test project references tests/LogStore.CrashHost).");
        return path!;
    }
}

/// <summary>What one child printed before its kill: <c>START</c>, then <c>ACK</c> lines and, in the consume mode,
/// <c>RESUME</c>, <c>COMMITTING</c> and <c>COMMIT</c> lines, in order (the compact mode's <c>CLEANED</c> lines only
/// pace the kills).</summary>
internal sealed record ChildRun((long LogEndOffset, long NextSeq) Start, List<(long Offset, long Seq)> Acks, long? Resume,
    List<(bool Done, long Offset)> Commits)
{
    public static ChildRun Parse(List<string> lines, Func<string> stderr)
    {
        if (lines.Count == 0 || !lines[0].StartsWith("START ", StringComparison.Ordinal))
            Assert.Fail($"The child's first line is not START: {stderr()}");
        string[] start = lines[0].Split(' ');
        var acks = new List<(long, long)>(lines.Count);
        var commits = new List<(bool, long)>();
        long? resume = null;
        foreach (string line in lines.Skip(1))
        {
            string[] parts = line.Split(' ');
            switch (parts[0])
            {
                case "ACK" when parts.Length == 3:
                    acks.Add((Number(parts[1]), Number(parts[2])));
                    break;
                case "RESUME" when parts.Length == 2 && resume is null:
                    resume = Number(parts[1]);
                    break;
                case "COMMITTING" or "COMMIT" when parts.Length == 2:
                    commits.Add((parts[0] == "COMMIT", Number(parts[1])));
                    break;
                case "CLEANED" when parts.Length == 2:
                    break;
                default:
                    Assert.Fail($"Unexpected child output line '{line}'.");
                    break;
            }
        }
        return new ChildRun((Number(start[1]), Number(start[2])), acks, resume, commits);
    }

    private static long Number(string text) => long.Parse(text, CultureInfo.InvariantCulture);
}

/// <summary>What one crash loop did, for tests/RELIABILITY.md.</summary>
internal sealed record CrashLoopFigures(string Mode, int Kills, long AcknowledgedRecords, long RecordsVerified, int MaxSegments,
    long MaxLogStartOffset, long MaxCompactedAway, long Commits, long InFlightCommitsLanded, long InFlightCommitsLost, TimeSpan Elapsed)
{
    public override string ToString() =>
        $"crash loop '{Mode}': {Kills} kills, {AcknowledgedRecords} acknowledged records, {RecordsVerified} record reads verified, " +
        $"up to {MaxSegments} segments, log start up to {MaxLogStartOffset}, up to {MaxCompactedAway} records compacted away, " +
        (Mode == "consume" ? $"{Commits} acknowledged commits, kills during a commit: {InFlightCommitsLanded} landed / {InFlightCommitsLost} not, " : "") +
        $"{Elapsed.TotalSeconds:F1} s";
}
