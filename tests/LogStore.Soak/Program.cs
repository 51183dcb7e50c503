using System.Diagnostics;
using LogStore.Soak;

// The soak tool (issue 5): the long versions of the reliability suites in one run — the crash loop in every mode,
// simulated power losses, the RecordBatch fuzzer for a while, linearizability rounds — then a summary; exit code 1 if any step failed, 2 on a bad
// command line. The CI-size versions of the same suites run in `dotnet test`. See tests/RELIABILITY.md, "Soak tool".
SoakOptions options;
try
{
    options = SoakOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(SoakOptions.Usage);
    return 2;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
Console.WriteLine($"soak {(options.Short ? "(short) " : "")}{options}");
var clock = Stopwatch.StartNew();
var summary = new SoakSummary();
await SoakSteps.CrashLoopAsync(options, summary, stop.Token);
await SoakSteps.PowerLossAsync(options, summary, stop.Token);
SoakSteps.Fuzz(options, summary, stop.Token);
await SoakSteps.LinearizabilityAsync(options, summary, stop.Token);

Console.WriteLine();
Console.WriteLine($"soak summary: {options}, {clock.Elapsed.TotalSeconds:F0} s");
Console.WriteLine(summary);
return summary.Failures.Count == 0 ? 0 : 1;
