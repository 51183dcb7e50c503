using System.Diagnostics.Metrics;
using LogStore.Diagnostics;

namespace LogStore.Tests.Diagnostics;

/// <summary>
/// A <see cref="MeterListener"/> on the "LogStore" meter that keeps the measurements of one topic only (the meter is
/// process-wide: other tests' brokers may measure meanwhile), or, with <see cref="ForNodes"/>, the untopiced
/// measurements of cluster nodes (the controller gauges).
/// </summary>
internal sealed class MeterCapture : IDisposable
{
    private readonly MeterListener _listener;
    private readonly Func<Dictionary<string, object?>, bool> _keep;
    private readonly List<Measured> _measurements = [];

    public MeterCapture(string topic)
        : this(tags => tags.GetValueOrDefault("logstore.topic") as string == topic)
    {
    }

    private MeterCapture(Func<Dictionary<string, object?>, bool> keep)
    {
        _keep = keep;
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == LogStoreMetrics.MeterName)
                    listener.EnableMeasurementEvents(instrument);
            },
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    /// <summary>Keeps the measurements tagged with a node id and no topic.</summary>
    public static MeterCapture ForNodes() =>
        new(tags => tags.ContainsKey("logstore.node.id") && !tags.ContainsKey("logstore.topic"));

    /// <summary>Collects the observable gauges now, after dropping their earlier observations.</summary>
    public void Observe()
    {
        lock (_measurements)
            _measurements.RemoveAll(m => m.Observable);
        _listener.RecordObservableInstruments();
    }

    public List<Measured> Of(string instrument)
    {
        lock (_measurements)
            return [.. _measurements.Where(m => m.Instrument == instrument)];
    }

    public double Sum(string instrument) => Of(instrument).Sum(m => m.Value);

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>();
        foreach (KeyValuePair<string, object?> tag in tags)
            copy[tag.Key] = tag.Value;
        if (!_keep(copy))
            return;
        lock (_measurements)
            _measurements.Add(new Measured(instrument.Name, value, copy) { Observable = instrument.IsObservable });
    }

    internal sealed record Measured(string Instrument, double Value, Dictionary<string, object?> Tags)
    {
        public int Partition => (int)Tags["logstore.partition"]!;

        public string? Group => Tags.GetValueOrDefault("logstore.consumer.group") as string;

        public int Node => (int)Tags["logstore.node.id"]!;

        /// <summary>From an observable gauge: replaced by the next <see cref="Observe"/>.</summary>
        public bool Observable { get; init; }
    }
}
