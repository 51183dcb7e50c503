using System.Text.Json;
using System.Text.Json.Serialization;

namespace LogStore.Compare;

/// <summary>--out: the run as JSON (what the chart sub-mode reads back), with a Markdown copy of the tables beside it.</summary>
internal static class ResultsFile
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void Write(string path, RunReport report)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
            Directory.CreateDirectory(directory);
        File.WriteAllText(path, JsonSerializer.Serialize(report, Options));
        File.WriteAllText(Path.ChangeExtension(path, ".md"), ResultTable.Markdown(report));
    }

    /// <exception cref="InvalidDataException">The file is not a results file of this program.</exception>
    public static RunReport Read(string path) =>
        JsonSerializer.Deserialize<RunReport>(File.ReadAllText(path), Options)
        ?? throw new InvalidDataException($"{path} holds no results.");
}
