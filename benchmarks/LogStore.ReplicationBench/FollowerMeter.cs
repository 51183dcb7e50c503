using System.Diagnostics.Metrics;

namespace LogStore.ReplicationBench;

/// <summary>
/// Sums LogStore's follower instruments (<c>logstore.follower.fetched.bytes</c>, <c>.fetch.duration</c>,
/// <c>.apply.duration</c>) over every follower of the process while alive: how large the fetches were, how long a
/// follower waited for each answer and how long it took to append it.
/// </summary>
internal sealed class FollowerMeter : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _fetches;
    private long _bytes;
    private double _fetchSeconds;
    private double _applySeconds;
    private readonly Lock _lock = new();

    public FollowerMeter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "LogStore" && instrument.Name.StartsWith("logstore.follower.", StringComparison.Ordinal))
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "logstore.follower.fetched.bytes")
                Interlocked.Add(ref _bytes, value);
        });
        _listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
        {
            lock (_lock)
            {
                if (instrument.Name == "logstore.follower.fetch.duration")
                {
                    _fetches++;
                    _fetchSeconds += value;
                }
                else if (instrument.Name == "logstore.follower.apply.duration")
                {
                    _applySeconds += value;
                }
            }
        });
        _listener.Start();
    }

    /// <summary>"N fetches of K KiB, answered in A ms, appended in B ms" (means per fetch), for a log line.</summary>
    public string Summary()
    {
        lock (_lock)
        {
            long fetches = Math.Max(1, _fetches);
            return $"{_fetches:N0} follower fetches of {Interlocked.Read(ref _bytes) / 1024.0 / fetches:0} KiB, answered in {_fetchSeconds * 1000 / fetches:0.00} ms, appended in {_applySeconds * 1000 / fetches:0.00} ms";
        }
    }

    public void Dispose() => _listener.Dispose();
}
