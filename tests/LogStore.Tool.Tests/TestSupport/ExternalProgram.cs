using System.Diagnostics;

namespace LogStore.Tool.Tests.TestSupport;

/// <summary>Runs a program of the machine (kcat, kill) to its end.</summary>
public static class ExternalProgram
{
    /// <summary>Its exit code and what it wrote to stdout, then stderr.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string program, CancellationToken cancellationToken, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
            info.ArgumentList.Add(arg);
        using Process process = Process.Start(info)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await output + await error);
    }
}
