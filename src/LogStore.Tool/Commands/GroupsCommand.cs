using System.CommandLine;
using System.Globalization;

namespace LogStore.Tool.Commands;

/// <summary><c>logstore groups list|describe</c>: kafka-consumer-groups, through <see cref="Broker.ListConsumerGroups"/>
/// and <see cref="Broker.DescribeConsumerGroup"/> (which never create the offsets topic).</summary>
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
            await using Broker broker = await BrokerSession.OpenReadOnlyAsync(parsed.GetRequiredValue(data), ct).ConfigureAwait(false);
            foreach (string group in broker.ListConsumerGroups())
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
            await using Broker broker = await BrokerSession.OpenReadOnlyAsync(parsed.GetRequiredValue(data), ct).ConfigureAwait(false);
            IReadOnlyList<string> groups = parsed.GetValue(group) is string only ? [only] : broker.ListConsumerGroups();
            var rows = new List<string[]> { new[] { "GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG" } };
            foreach (string name in groups)
            {
                ConsumerGroupDescription description = broker.DescribeConsumerGroup(name);
                if (description.Partitions.Count == 0 && description.Members.Count == 0)
                    throw new CommandException($"consumer group '{name}' does not exist (it has no committed offsets)");
                // A committed offset may outlive its topic; its log end offset and lag are then unknown.
                foreach (ConsumerGroupPartition p in description.Partitions)
                    rows.Add([name, p.TopicPartition.Topic, Str(p.TopicPartition.Partition), Opt(p.CommittedOffset), Opt(p.LogEndOffset), Opt(p.Lag)]);
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

    private static string Opt(long? value) => value is long v ? Str(v) : "-";
}
