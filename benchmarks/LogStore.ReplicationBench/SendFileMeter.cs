using System.Diagnostics.Metrics;

namespace LogStore.ReplicationBench;

/// <summary>
/// Counts LogStore's <c>logstore.network.sendfile.bytes</c> (the Kafka listener's response bytes sent straight from
/// segment files) while alive: the check that a follower's catch-up reads go out by sendfile, not through a buffer.
/// Counts every Broker of the process.
/// </summary>
internal sealed class SendFileMeter : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _bytes;

    public SendFileMeter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "LogStore" && instrument.Name == "logstore.network.sendfile.bytes")
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _bytes, value));
        _listener.Start();
    }

    public long Bytes => Interlocked.Read(ref _bytes);

    public void Dispose() => _listener.Dispose();
}
