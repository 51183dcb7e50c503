using System.Diagnostics;
using System.Net;

namespace LogStore.Tests.Network.KafkaClients;

/// <summary>Runs Debian's <c>kcat</c> (installed by .ci/run) against a listener, bounded in time.</summary>
internal static class Kcat
{
    public static bool IsInstalled { get; } = File.Exists("/usr/bin/kcat") || File.Exists("/usr/local/bin/kcat");

    public static void RequireInstalled()
    {
        // CI installs it (.ci/run); a developer machine without it says so rather than pass vacuously.
        if (!IsInstalled)
            Assert.Fail("kcat is not installed: run `apt-get install -y kcat` (.ci/run does).");
    }

    /// <summary>Runs kcat with <paramref name="args"/> against <paramref name="broker"/>, writing
    /// <paramref name="input"/> to its stdin; returns its exit code, stdout and stderr.</summary>
    public static async Task<(int ExitCode, string Out, string Err)> RunAsync(IPEndPoint broker, string? input, params string[] args)
    {
        var info = new ProcessStartInfo("kcat")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-b");
        info.ArgumentList.Add(broker.ToString());
        foreach (string arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("kcat did not start.");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (input is not null)
            await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"kcat {string.Join(' ', args)} did not finish in 60 s: {await stderr}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
