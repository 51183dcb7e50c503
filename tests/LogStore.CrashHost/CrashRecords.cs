using System.Globalization;
using System.Text;

namespace LogStore.CrashHost;

/// <summary>
/// The content scheme the crash host writes and the crash-loop test checks: record number <c>seq</c> has a key and a
/// value derived from <c>seq</c> alone, of a size that varies with it, so a checker can verify every byte of a record
/// from the sequence number in its value. The test project compiles this same file (linked), so both sides agree.
/// </summary>
internal static class CrashRecords
{
    /// <summary>The topic the host produces to.</summary>
    public const string Topic = "crash";

    /// <summary>The consumer group of the <c>consume</c> mode.</summary>
    public const string Group = "crash-group";

    /// <summary>Distinct keys on the compacted topic: few, so the cleaner has plenty to remove.</summary>
    public const int CompactKeys = 16;

    /// <summary>The key of record <paramref name="seq"/>: unique, or one of <see cref="CompactKeys"/> when compacting.</summary>
    public static string Key(long seq, bool compact) =>
        compact ? "k" + (seq % CompactKeys).ToString(CultureInfo.InvariantCulture) : "s" + seq.ToString(CultureInfo.InvariantCulture);

    /// <summary>The value of record <paramref name="seq"/>: "v{seq}|" then 0–299 filler bytes chosen by the number.</summary>
    public static string Value(long seq)
    {
        int filler = (int)((seq * 7919) % 300);
        var sb = new StringBuilder(16 + filler);
        sb.Append('v').Append(seq.ToString(CultureInfo.InvariantCulture)).Append('|');
        sb.Append((char)('a' + (int)(seq % 26)), filler);
        return sb.ToString();
    }

    /// <summary>The sequence number a value names, or -1 when it is not one of ours.</summary>
    public static long ParseSeq(ReadOnlySpan<byte> value)
    {
        int bar = value.IndexOf((byte)'|');
        if (value.Length < 2 || value[0] != (byte)'v' || bar < 2)
            return -1;
        return long.TryParse(Encoding.ASCII.GetString(value[1..bar]), NumberStyles.None, CultureInfo.InvariantCulture, out long seq) ? seq : -1;
    }

    /// <summary>Small index files: the test copies the store after each kill, and a preallocated 10 MiB index per
    /// segment would make that copy slow.</summary>
    private const int IndexBytes = 8 << 10;

    /// <summary>The topic configuration of each mode: small segments so rolls are frequent, a tight index interval,
    /// and a flush after every append so an acknowledgement means durable.</summary>
    public static TopicConfig Config(string mode) => mode switch
    {
        "producer" => new TopicConfig { SegmentBytes = 64 << 10, IndexIntervalBytes = 256, FlushMessages = 1, RetentionTime = null, SegmentIndexBytes = IndexBytes },
        "roll" => new TopicConfig { SegmentBytes = 2 << 10, IndexIntervalBytes = 128, FlushMessages = 1, RetentionTime = null, SegmentIndexBytes = IndexBytes },
        "retention" => new TopicConfig { SegmentBytes = 4 << 10, IndexIntervalBytes = 128, FlushMessages = 1, RetentionTime = null, SegmentIndexBytes = IndexBytes, RetentionBytes = 16 << 10 },
        "compact" => new TopicConfig
        {
            SegmentBytes = 4 << 10, IndexIntervalBytes = 128, FlushMessages = 1, RetentionTime = null, SegmentIndexBytes = IndexBytes,
            CleanupPolicy = CleanupPolicy.Compact, MinCleanableDirtyRatio = 0, DeleteRetentionTime = TimeSpan.Zero,
        },
        "consume" => new TopicConfig { SegmentBytes = 16 << 10, IndexIntervalBytes = 256, FlushMessages = 1, RetentionTime = null, SegmentIndexBytes = IndexBytes },
        _ => throw new ArgumentException($"Unknown mode '{mode}': producer, roll, retention, compact or consume.", nameof(mode)),
    };
}
