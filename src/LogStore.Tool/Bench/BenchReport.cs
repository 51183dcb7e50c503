using System.Globalization;
using Spectre.Console;

namespace LogStore.Tool.Bench;

/// <summary>The final table of <c>bench</c>: one row per phase with records/s and MB/s (MB = 10^6 bytes of values).</summary>
internal static class BenchReport
{
    public static void Write(IAnsiConsole console, BenchSettings settings, IReadOnlyList<BenchPhase> phases)
    {
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{settings.Records:N0} records of {settings.ValueSize} bytes, {settings.Partitions} partition(s), compression {settings.Compression.ToString().ToLowerInvariant()}"));
        var table = new Table()
            .AddColumn("phase")
            .AddColumn(new TableColumn("records").RightAligned())
            .AddColumn(new TableColumn("seconds").RightAligned())
            .AddColumn(new TableColumn("records/s").RightAligned())
            .AddColumn(new TableColumn("MB/s").RightAligned());
        foreach (BenchPhase phase in phases)
        {
            table.AddRow(
                phase.Name,
                phase.Records.ToString("N0", CultureInfo.InvariantCulture),
                phase.Elapsed.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture),
                phase.RecordsPerSecond.ToString("N0", CultureInfo.InvariantCulture),
                phase.MegabytesPerSecond.ToString("0.0", CultureInfo.InvariantCulture));
        }
        console.Write(table);
    }
}
