using System.Runtime.InteropServices;
using System.Text;
using LogStore.Tool;

// On a terminal, the console itself (so the tool can draw colours and progress bars). Redirected, a buffered writer:
// the console's own flushes after every write, which would make a piped `consume` slow; commands flush it whenever
// they wait for more data.
TextWriter stdout = Console.IsOutputRedirected
    ? new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16) { AutoFlush = false }
    : Console.Out;
using var interrupted = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C stops the command cleanly (consumers commit, the store closes); a second one kills the process.
    if (!interrupted.IsCancellationRequested)
    {
        e.Cancel = true;
        interrupted.Cancel();
    }
};
// SIGTERM (a service manager, `docker stop`, `kill`) stops a command as the first Ctrl+C does: `serve` closes its store
// cleanly rather than be recovered at the next start.
using PosixSignalRegistration? terminate = OperatingSystem.IsWindows() ? null : PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    interrupted.Cancel();
});
try
{
    return await LogStoreCli.RunAsync(args, Console.In, stdout, Console.Error, interrupted.Token);
}
finally
{
    await stdout.FlushAsync();
}
