using System.CommandLine;
using System.Globalization;
using LogStore.Tool.Groups;

namespace LogStore.Tool.Commands;

/// <summary><c>logstore groups list|describe</c>: kafka-consumer-groups for the groups that committed offsets.</summary>
internal static class GroupsCommand
{
    public static Command Create(CliContext cli) => new("groups", "List consumer groups and show their committed offsets and lag (kafka-consumer-groups).")
    {
        List(cli),
        Describe(cli),
    };

    private static Command List(CliContext cli)
    {
        Option<string> data = CommonOptions.Data();
        var command = new Command("list", "Print the name of every group with committed offsets, one per line.") { data };
        command.SetAction(async (parsed, ct) =>
        {
            await using Broker broker = await BrokerSession.OpenAsync(parsed.GetRequiredValue(data), create: false, ct).ConfigureAwait(false);
            foreach (string group in (await CommittedOffsets.ReadAsync(broker, ct).ConfigureAwait(false)).Keys)
                await cli.Out.WriteLineAsync(group).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Describe(CliContext cli)
    {
        Option<string> data = CommonOptions.Data();
        var group = new Option<string?>("--group", "-g") { Description = "The group to describe; every group when left out.", HelpName = "GROUP" };
        var command = new Command("describe", "Show each partition's committed offset, log end offset and lag.") { data, group };
        command.SetAction(async (parsed, ct) =>
        {
            await using Broker broker = await BrokerSession.OpenAsync(parsed.GetRequiredValue(data), create: false, ct).ConfigureAwait(false);
            SortedDictionary<string, Dictionary<TopicPartition, long>> groups = await CommittedOffsets.ReadAsync(broker, ct).ConfigureAwait(false);
            if (parsed.GetValue(group) is string only)
            {
                if (!groups.TryGetValue(only, out Dictionary<TopicPartition, long>? offsets))
                    throw new CommandException($"consumer group '{only}' does not exist (it has no committed offsets)");
                groups = new(StringComparer.Ordinal) { [only] = offsets };
            }
            var rows = new List<string[]> { new[] { "GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG" } };
            foreach ((string name, Dictionary<TopicPartition, long> offsets) in groups)
            {
                foreach ((TopicPartition tp, long committed) in offsets.OrderBy(o => o.Key.Topic, StringComparer.Ordinal).ThenBy(o => o.Key.Partition))
                {
                    // A committed offset may outlive its topic; its log end offset and lag are then unknown.
                    long? end = broker.TryGetTopic(tp.Topic, out Topic? topic) && tp.Partition < topic.Partitions.Count
                        ? topic.Partitions[tp.Partition].LogEndOffset
                        : null;
                    rows.Add([name, tp.Topic, Str(tp.Partition), Str(committed), end is long e ? Str(e) : "-", end is long e2 ? Str(Math.Max(0, e2 - committed)) : "-"]);
                }
            }
            await WriteTableAsync(cli.Out, rows).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Columns padded to their widest cell, as kafka-consumer-groups prints them.</summary>
    private static async Task WriteTableAsync(TextWriter output, List<string[]> rows)
    {
        int[] widths = new int[rows[0].Length];
        foreach (string[] row in rows)
        {
            for (int i = 0; i < row.Length; i++)
                widths[i] = Math.Max(widths[i], row[i].Length);
        }
        foreach (string[] row in rows)
            await output.WriteLineAsync(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd()).ConfigureAwait(false);
    }

    private static string Str(long value) => value.ToString(CultureInfo.InvariantCulture);
}
