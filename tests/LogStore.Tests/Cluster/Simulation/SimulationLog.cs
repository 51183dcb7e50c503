using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LogStore.Tests.Cluster.Simulation;

/// <summary>
/// The brokers' log lines of one history (information and above), each with its node and the simulation's clock, kept
/// in memory and shown when the history fails: what the nodes did between the steps.
/// </summary>
internal sealed class SimulationLog(TimeProvider time)
{
    private const int Kept = 400;
    private readonly ConcurrentQueue<string> _lines = new();

    public ILoggerFactory For(int node) => new Factory(this, node);

    /// <summary>The last lines, oldest first.</summary>
    public string Tail() => string.Join('\n', _lines);

    private void Add(string line)
    {
        _lines.Enqueue(line);
        while (_lines.Count > Kept)
            _lines.TryDequeue(out _);
    }

    private sealed class Factory(SimulationLog log, int node) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => new Logger(log, node, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }
    }

    private sealed class Logger(SimulationLog log, int node, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
                log.Add($"{Now()} node {node} {category}: {formatter(state, exception)}{(exception is null ? "" : " — " + exception.Message)}");
        }

        private string Now() => log.Time.GetUtcNow().ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture);
    }

    private TimeProvider Time => time;
}
