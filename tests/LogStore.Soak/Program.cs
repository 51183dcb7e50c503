using System.CommandLine;
using System.Diagnostics;
using LogStore.Soak;

// The soak tool (issue 5): the long versions of the reliability suites in one run — the crash loop in every mode,
// simulated power losses, the RecordBatch fuzzer for a while, the Kafka request decoder's fuzzer, linearizability
// rounds — then a summary; exit code 1 if any step failed, 2 on a bad command line. Ctrl-C stops it. The CI-size
// versions of the same suites run in `dotnet test`. See tests/RELIABILITY.md, "Soak tool".
ParseResult parsed = SoakOptions.Command(RunAsync).Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
        Console.Error.WriteLine(error.Message);
    Console.Error.WriteLine("Run with --help for the options.");
    return 2;
}
return await parsed.InvokeAsync();

static async Task<int> RunAsync(SoakOptions options, CancellationToken stop)
{
    Console.WriteLine($"soak {(options.Short ? "(short) " : "")}{options}");
    var clock = Stopwatch.StartNew();
    var summary = new SoakSummary();
    await SoakSteps.CrashLoopAsync(options, summary, stop);
    await SoakSteps.PowerLossAsync(options, summary, stop);
    SoakSteps.Fuzz(options, summary, stop);
    SoakSteps.RequestFuzz(options, summary, stop);
    await SoakSteps.LinearizabilityAsync(options, summary, stop);

    Console.WriteLine();
    Console.WriteLine($"soak summary: {options}, {clock.Elapsed.TotalSeconds:F0} s");
    Console.WriteLine(summary);
    return summary.Failures.Count == 0 ? 0 : 1;
}
