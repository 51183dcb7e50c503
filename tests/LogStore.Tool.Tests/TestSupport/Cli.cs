namespace LogStore.Tool.Tests.TestSupport;

/// <summary>Runs the <c>logstore</c> command line in-process with string standard streams.</summary>
public static class Cli
{
    public static Task<CliRun> RunAsync(params string[] args) => RunWithInputAsync("", args);

    public static async Task<CliRun> RunWithInputAsync(string stdin, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exitCode = await LogStoreCli.RunAsync(args, new StringReader(stdin), output, error);
        return new CliRun(exitCode, output.ToString(), error.ToString());
    }
}

/// <summary>What one run printed and returned.</summary>
public sealed record CliRun(int ExitCode, string Out, string Err)
{
    public string[] OutLines => Lines(Out);

    public string[] ErrLines => Lines(Err);

    private static string[] Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}--- stderr\n{Err}";
}
