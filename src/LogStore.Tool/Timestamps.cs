using System.Globalization;

namespace LogStore.Tool;

/// <summary>Reads and writes the timestamps users type and see: Unix milliseconds (Kafka's unit) or ISO 8601.</summary>
internal static class Timestamps
{
    /// <summary>Unix milliseconds and the same instant in UTC, e.g. <c>1700000000000 (2023-11-14T22:13:20.000Z)</c>.</summary>
    public static string Format(long unixMs) =>
        unixMs is >= -62_135_596_800_000 and <= 253_402_300_799_999
            ? string.Create(CultureInfo.InvariantCulture, $"{unixMs} ({DateTimeOffset.FromUnixTimeMilliseconds(unixMs):yyyy-MM-ddTHH:mm:ss.fffZ})")
            : unixMs.ToString(CultureInfo.InvariantCulture);

    /// <summary>Parses Unix milliseconds, or an ISO 8601 date and time (UTC unless it names an offset).</summary>
    public static bool TryParse(string text, out DateTimeOffset timestamp)
    {
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long ms)
            && ms is >= -62_135_596_800_000 and <= 253_402_300_799_999)
        {
            timestamp = DateTimeOffset.FromUnixTimeMilliseconds(ms);
            return true;
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out timestamp);
    }
}
