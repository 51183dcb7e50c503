using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using LogStore.Tests.TestSupport;

namespace LogStore.Tool.Tests.TestSupport;

/// <summary>
/// Three <c>logstore serve --node-id N --peers ...</c> processes on loopback, each with its own data directory, on
/// ports the OS picked (each node's Kafka port and the next one, its controller's, both free when chosen). A node can be
/// SIGKILLed and started again on the same directory. Disposing kills what still runs and deletes the directories.
/// </summary>
public sealed class ServedCluster : IDisposable
{
    public const int Size = 3;

    private readonly TempDirectory[] _data = [new(), new(), new()];
    private readonly Process?[] _nodes = new Process?[Size];

    private ServedCluster(int[] ports)
    {
        Ports = ports;
        Peers = string.Join(',', Enumerable.Range(0, Size).Select(i => $"{i}@127.0.0.1:{ports[i]}"));
    }

    public int[] Ports { get; }

    public string Peers { get; }

    public string BootstrapServers => string.Join(',', Ports.Select(p => $"127.0.0.1:{p}"));

    public bool IsRunning(int node) => _nodes[node] is { HasExited: false };

    public static ServedCluster Create() => new(LoopbackPorts.PickPairs(Size));

    /// <summary>Starts node <paramref name="node"/> and waits for its "Serving" line.</summary>
    public async Task StartAsync(int node, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(typeof(LogStoreCli).Assembly.Location);
        foreach (string arg in new[] { "serve", "--data", _data[node].Path, "--listen", $"127.0.0.1:{Ports[node]}",
            "--node-id", node.ToString(CultureInfo.InvariantCulture), "--peers", Peers })
        {
            info.ArgumentList.Add(arg);
        }
        Process process = Process.Start(info)!;
        _nodes[node] = process;
        string? line = await process.StandardOutput.ReadLineAsync(cancellationToken);
        if (line is null || !line.StartsWith("Serving ", StringComparison.Ordinal))
            Assert.Fail($"node {node} did not start: {line}\n{(process.HasExited ? await process.StandardError.ReadToEndAsync(cancellationToken) : "")}");
        // The rest of its output is drained so that it never blocks on a full pipe.
        _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
    }

    /// <summary>SIGKILLs node <paramref name="node"/> and waits for it to be gone.</summary>
    public async Task KillAsync(int node, CancellationToken cancellationToken)
    {
        Process process = _nodes[node] ?? throw new InvalidOperationException($"node {node} is not running");
        _nodes[node] = null;
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync(cancellationToken);
        process.Dispose();
    }

    public void Dispose()
    {
        foreach (Process? process in _nodes)
        {
            if (process is { HasExited: false })
                process.Kill(entireProcessTree: true);
            process?.Dispose();
        }
        foreach (TempDirectory directory in _data)
            directory.Dispose();
    }
}
