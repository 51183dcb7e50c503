using System.Globalization;
using System.Text;

namespace LogStore.ReplicationBench;

/// <summary>The run's Markdown report (tables for benchmarks/RESULTS.md) and its progress log on standard error.</summary>
internal sealed class Report
{
    private readonly StringBuilder _markdown = new();

    public static void Log(FormattableString line) =>
        Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {line.ToString(CultureInfo.InvariantCulture)}");

    public void Heading(string title) => _markdown.Append(CultureInfo.InvariantCulture, $"\n#### {title}\n\n");

    public void Line(FormattableString line) => _markdown.AppendLine(line.ToString(CultureInfo.InvariantCulture));

    public void Table(string[] headers, IEnumerable<string[]> rows)
    {
        _markdown.AppendLine("| " + string.Join(" | ", headers) + " |");
        _markdown.AppendLine("|" + string.Concat(headers.Select(_ => "---|")));
        foreach (string[] row in rows)
            _markdown.AppendLine("| " + string.Join(" | ", row) + " |");
        _markdown.AppendLine();
    }

    public override string ToString() => _markdown.ToString();

    public static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
