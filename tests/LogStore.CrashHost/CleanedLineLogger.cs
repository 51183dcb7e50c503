using System.Globalization;
using Microsoft.Extensions.Logging;

namespace LogStore.CrashHost;

/// <summary>
/// The crash host's logger: prints <c>CLEANED &lt;endOffset&gt;</c> (flushed) each time the broker logs a finished
/// cleaning (event 1102), so the parent can kill a <c>compact</c> child right after a swap instead of hoping the
/// background cleaner had its turn before a random kill. Silent until <see cref="Start"/>: the cleaner may finish
/// before the child has printed its <c>START</c> line, which must come first. Everything else is dropped.
/// </summary>
internal sealed class CleanedLineLogger(TextWriter stdout) : ILoggerFactory, ILogger
{
    /// <summary>The broker's event id for a finished cleaning (RetentionLog.Cleaned).</summary>
    private const int CleanedEventId = 1102;

    private volatile bool _started;

    /// <summary>Prints from now on (call after the <c>START</c> line).</summary>
    public void Start() => _started = true;

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!_started || eventId.Id != CleanedEventId || state is not IReadOnlyList<KeyValuePair<string, object?>> fields)
            return;
        object? endOffset = fields.FirstOrDefault(f => f.Key == "EndOffset").Value;
        // Console.Out is synchronised: this line never interleaves with the main loop's ACK lines.
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"CLEANED {endOffset}"));
        stdout.Flush();
    }

    public void Dispose()
    {
    }
}
