using System.Diagnostics.Metrics;
using LogStore.Diagnostics;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Diagnostics;

/// <summary>
/// The instruments on the append and read paths allocate nothing per call, with or without a listener: tags are a
/// stack-only TagList, partition numbers are boxed once. (With no listener each call only reads a few Enabled flags;
/// ProducerAllocationTests covers that path end to end.)
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class MetricsAllocationTests : DiagnosticsFixture
{
    private const int Calls = 2_000;

    [Test]
    public async Task AppendAndRead_WithAListener_AllocateNoMoreThanWithout()
    {
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync(Topic)).Partitions[0];
        var batch = Batches.Batch(Batches.Make(0, 10));
        long withoutAppend = MeasureAppends(p, batch);
        long withoutRead = MeasureReads(p);

        long measured = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == LogStoreMetrics.MeterName)
                    l.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, _, _) => Interlocked.Increment(ref measured));
        listener.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref measured));
        listener.Start();
        long withAppend = MeasureAppends(p, batch);
        long withRead = MeasureReads(p);

        TestContext.Out.WriteLine($"{Calls} appends: {withoutAppend} bytes without a listener, {withAppend} with; " +
            $"{Calls} reads: {withoutRead} without, {withRead} with");
        Assert.That(measured, Is.GreaterThanOrEqualTo(Calls * 5L), "three instruments per append, two per read");
        Assert.That(withAppend - withoutAppend, Is.LessThan(Calls), "less than a byte per append call");
        Assert.That(withRead - withoutRead, Is.LessThan(Calls), "less than a byte per read");
    }

    private static long MeasureAppends(Partition p, RecordBatch batch)
    {
        p.Log.Append(batch);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Calls; i++)
            p.Log.Append(batch);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static long MeasureReads(Partition p)
    {
        p.Log.Read(0, 4096).Dispose();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Calls; i++)
            p.Log.Read(i, 4096).Dispose();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
