using System.Diagnostics;
using System.Text;

namespace LogStore.Package.Tests;

/// <summary>Runs the <c>dotnet</c> CLI as a user would, in a clean environment, and captures what it prints.</summary>
internal static class DotnetCli
{
    /// <summary>What a finished command printed (stdout and stderr interleaved) and its exit code.</summary>
    public sealed record Result(int ExitCode, string Output);

    /// <summary>
    /// Runs <c>dotnet</c> with <paramref name="arguments"/> in <paramref name="workingDirectory"/>, killing it (and its
    /// children) after <paramref name="timeout"/>. The environment is this process's without the MSBuild and test-host
    /// variables that <c>dotnet test</c> sets, so the child resolves its SDK and properties like a shell would;
    /// <paramref name="environment"/> adds or replaces variables.
    /// </summary>
    public static Result Run(string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
            info.ArgumentList.Add(argument);
        foreach (string name in info.Environment.Keys.ToList())
        {
            if (name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase))
                info.Environment.Remove(name);
        }
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        // No MSBuild node or compiler server outlives the command: one that inherited the output pipes would keep
        // them open, and the test would wait for it.
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        info.Environment["UseSharedCompilation"] = "false";
        if (environment is not null)
        {
            foreach ((string name, string value) in environment)
                info.Environment[name] = value;
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"'dotnet {string.Join(' ', arguments)}' did not finish within {timeout}:\n{Snapshot(output)}");
        }
        process.WaitForExit(); // drains the asynchronous readers
        return new Result(process.ExitCode, Snapshot(output));
    }

    /// <summary>Like <see cref="Run"/>, and fails the test with the command's output unless it exits with 0.</summary>
    public static string RunOrFail(string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        Result result = Run(workingDirectory, timeout, environment, arguments);
        if (result.ExitCode != 0)
            Assert.Fail($"'dotnet {string.Join(' ', arguments)}' exited with {result.ExitCode}:\n{result.Output}");
        return result.Output;
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
            return;
        lock (output)
            output.AppendLine(line);
    }

    private static string Snapshot(StringBuilder output)
    {
        lock (output)
            return output.ToString();
    }
}
