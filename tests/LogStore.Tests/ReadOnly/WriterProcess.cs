using System.Diagnostics;
using System.Globalization;
using LogStore.Tests.Reliability;

namespace LogStore.Tests.ReadOnly;

/// <summary>
/// The crash host (tests/LogStore.CrashHost) as a writer in another process: it appends until killed, printing
/// <c>ACK offset seq</c> once each record is durable. Killed with SIGKILL on dispose if still running.
/// </summary>
internal sealed class WriterProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<(long Offset, long Seq)> _acks = [];
    private readonly System.Text.StringBuilder _stderr = new();
    private readonly Task _reading;
    private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WriterProcess(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) => { lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.BeginErrorReadLine();
        _reading = Task.Run(ReadLinesAsync);
    }

    public static WriterProcess Start(string dataDirectory, string mode, int seed)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(CrashLoopRunner.HostPath());
        info.ArgumentList.Add(dataDirectory);
        info.ArgumentList.Add(mode);
        info.ArgumentList.Add(seed.ToString(CultureInfo.InvariantCulture));
        return new WriterProcess(Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start."));
    }

    /// <summary>The records acknowledged as durable so far (a snapshot).</summary>
    public List<(long Offset, long Seq)> Acks
    {
        get
        {
            lock (_acks)
                return [.. _acks];
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> records are acknowledged.</summary>
    public async Task WaitForAcksAsync(int count, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            Task progress;
            lock (_acks)
            {
                if (_acks.Count >= count)
                    return;
                progress = _progress.Task;
            }
            if (_process.HasExited)
                Assert.Fail($"The writer exited (code {_process.ExitCode}): {Stderr()}");
            try
            {
                await progress.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"The writer acknowledged {Acks.Count} of {count} records in {timeout}: {Stderr()}");
            }
        }
    }

    /// <summary>SIGKILL, as a crash; waits for the exit and for the last lines it printed.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync(CancellationToken.None);
        await _reading;
    }

    private async Task ReadLinesAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            string[] parts = line.Split(' ');
            if (parts is not ["ACK", _, _])
                continue;
            lock (_acks)
            {
                _acks.Add((long.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture)));
                _progress.TrySetResult();
                _progress = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
        lock (_acks)
            _progress.TrySetResult();
    }

    private string Stderr()
    {
        lock (_stderr)
            return _stderr.Length == 0 ? "(no stderr)" : _stderr.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}
