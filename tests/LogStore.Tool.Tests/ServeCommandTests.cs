using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using LogStore.Tool.Tests.TestSupport;

namespace LogStore.Tool.Tests;

/// <summary><c>logstore serve</c> as a separate process: it listens where it says, Kafka clients reach it, and SIGTERM
/// stops it with the store closed cleanly.</summary>
[TestFixture]
[NonParallelizable]
public sealed class ServeCommandTests : ToolTestBase
{
    [Test]
    public async Task Serve_ListensOnAnOsPickedPort_AndSigtermClosesTheStoreCleanly()
    {
        if (OperatingSystem.IsWindows())
            Assert.Ignore("SIGTERM is a POSIX signal.");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(typeof(LogStoreCli).Assembly.Location);
        foreach (string arg in new[] { "serve", "--data", Data, "--listen", "127.0.0.1:0" })
            info.ArgumentList.Add(arg);
        using Process server = Process.Start(info)!;
        try
        {
            string? line = await server.StandardOutput.ReadLineAsync(timeout.Token);
            Assert.That(line, Does.StartWith("Serving ").And.Contain(" on 127.0.0.1:"), await ErrorOf(server));
            string served = line!;
            IPEndPoint endpoint = IPEndPoint.Parse(served[(served.LastIndexOf(" on ", StringComparison.Ordinal) + 4)..served.IndexOf(" (", StringComparison.Ordinal)]);
            Assert.That(endpoint.Port, Is.Not.Zero);

            // A Kafka client gets its answer: kcat lists the topic it creates by producing.
            using (var probe = new TcpClient())
                await probe.ConnectAsync(endpoint, timeout.Token);
            if (File.Exists("/usr/bin/kcat"))
            {
                (int code, string listed) = await ExternalProgram.RunAsync("kcat", timeout.Token, "-b", endpoint.ToString(), "-L", "-t", "created", "-m", "10");
                Assert.That(code, Is.Zero, listed);
                Assert.That(listed, Does.Contain("topic \"created\" with 1 partitions"));
            }

            (int killed, _) = await ExternalProgram.RunAsync("kill", timeout.Token, "-TERM", server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.That(killed, Is.Zero);
            await server.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!server.HasExited)
                server.Kill(entireProcessTree: true);
        }

        Assert.That(server.ExitCode, Is.Zero, await server.StandardError.ReadToEndAsync());
        Assert.That(File.Exists(Path.Combine(Data, ".logstore_cleanshutdown")), Is.True, "SIGTERM closed the store cleanly");
    }

    [Test]
    public async Task Serve_WithAnAddressThatIsNotOne_IsAUsageError()
    {
        CliRun run = await Cli.RunAsync("serve", "--data", Data, "--listen", "somewhere");

        AssertOneErrorLine(run, 2, "--listen must be HOST:PORT");
    }

    private static async Task<string> ErrorOf(Process process) =>
        process.HasExited ? await process.StandardError.ReadToEndAsync() : "(still running)";
}
