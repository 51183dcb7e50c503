using Microsoft.Extensions.Logging;

namespace LogStore.Tests.Diagnostics;

/// <summary>An <see cref="ILoggerFactory"/> that keeps every entry (every level) for the test to inspect.</summary>
internal sealed class CapturingLoggerFactory : ILoggerFactory
{
    private readonly List<LogEntry> _entries = [];

    public IReadOnlyList<LogEntry> Entries
    {
        get
        {
            lock (_entries)
                return [.. _entries];
        }
    }

    /// <summary>The entries with event id <paramref name="eventId"/>.</summary>
    public List<LogEntry> WithId(int eventId) => [.. Entries.Where(e => e.EventId.Id == eventId)];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    internal sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception)
    {
        public DateTime At { get; } = DateTime.UtcNow;
    }

    private sealed class Logger(CapturingLoggerFactory factory, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (factory._entries)
                factory._entries.Add(new LogEntry(category, logLevel, eventId, formatter(state, exception), exception));
        }
    }
}
