using System.Runtime.CompilerServices;

namespace LogStore.Diagnostics;

/// <summary>Records and bytes appended and read, and append latency: called on the hot paths, so each call costs a few
/// reads of <c>Enabled</c> while nobody listens, and allocates nothing either way.</summary>
internal static partial class LogStoreMetrics
{
    /// <summary>The timestamp an append starts at, or 0 when <c>logstore.append.duration</c> has no listener (no clock read).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long AppendStarting(TimeProvider time) => AppendDuration.Enabled ? time.GetTimestamp() : 0;

    /// <summary>Counts one append call: the <paramref name="appended"/> batches (their records and bytes), and its
    /// duration since <paramref name="started"/> (from <see cref="AppendStarting"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RecordAppend(TopicPartition tp, ReadOnlySpan<RecordBatch> appended, TimeProvider time, long started)
    {
        if (started != 0 || RecordsAppended.Enabled || BytesAppended.Enabled)
            RecordAppendSlow(tp, appended, time, started);
    }

    private static void RecordAppendSlow(TopicPartition tp, ReadOnlySpan<RecordBatch> appended, TimeProvider time, long started)
    {
        if (started != 0 && AppendDuration.Enabled)
            AppendDuration.Record(time.GetElapsedTime(started).TotalSeconds, Tags(tp));
        if (appended.IsEmpty)
            return;
        long records = 0, bytes = 0;
        foreach (RecordBatch batch in appended)
        {
            records += batch.RecordCount;
            bytes += batch.SizeInBytes;
        }
        if (RecordsAppended.Enabled)
            RecordsAppended.Add(records, Tags(tp));
        if (BytesAppended.Enabled)
            BytesAppended.Add(bytes, Tags(tp));
    }

    /// <summary>Counts the batches of a partition read and returns it unchanged, so that a read's return statement can
    /// wrap its result.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FetchResult RecordRead(FetchResult result)
    {
        if ((RecordsRead.Enabled || BytesRead.Enabled) && !result.IsEmpty)
            RecordReadSlow(result);
        return result;
    }

    private static void RecordReadSlow(FetchResult result)
    {
        if (BytesRead.Enabled)
            BytesRead.Add(result.Records.Length, Tags(result.TopicPartition));
        if (RecordsRead.Enabled)
        {
            long records = 0;
            foreach (RecordBatch batch in result)
                records += batch.RecordCount;
            RecordsRead.Add(records, Tags(result.TopicPartition));
        }
    }
}
