using System.Globalization;

namespace LogStore.Tests.TestSupport;

/// <summary>Reads and removes the data directory's <c>recovery-point-offset-checkpoint</c> (Kafka's text format), which
/// holds every partition's recovery point.</summary>
internal static class CheckpointFiles
{
    public const string RecoveryPoints = "recovery-point-offset-checkpoint";

    /// <summary>The recovery point checkpointed for <paramref name="topic"/>-<paramref name="partition"/>, or 0 when
    /// there is none (what a missing checkpoint means).</summary>
    public static long RecoveryPoint(string dataDirectory, string topic = "t", int partition = 0)
    {
        string path = Path.Combine(dataDirectory, RecoveryPoints);
        if (!File.Exists(path))
            return 0;
        string prefix = string.Create(CultureInfo.InvariantCulture, $"{topic} {partition} ");
        string? line = File.ReadAllLines(path).Skip(2).SingleOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[prefix.Length..], CultureInfo.InvariantCulture);
    }

    /// <summary>Deletes the recovery points (and any <c>partition.checkpoint</c> of an older version): the store opens as
    /// one that never checkpointed, recovering every segment.</summary>
    public static void DeleteRecoveryPoints(string dataDirectory)
    {
        File.Delete(Path.Combine(dataDirectory, RecoveryPoints));
        foreach (string legacy in Directory.GetFiles(dataDirectory, "partition.checkpoint", SearchOption.AllDirectories))
            File.Delete(legacy);
    }
}
