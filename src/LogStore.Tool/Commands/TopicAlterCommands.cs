using System.CommandLine;

namespace LogStore.Tool.Commands;

/// <summary>
/// <c>logstore topics alter</c> (kafka-configs --alter --entity-type topics) and <c>logstore topics add-partitions</c>
/// (kafka-topics --alter --partitions), through <see cref="Broker.AlterTopicConfigAsync"/> and
/// <see cref="Broker.CreatePartitionsAsync"/>, which validate and apply the change.
/// </summary>
internal static class TopicAlterCommands
{
    // The CLI writes "none" as -1 for these (as create and describe do); the library's form is an empty value.
    private static readonly HashSet<string> s_minusOneIsNone = new(StringComparer.Ordinal)
    {
        "retention.ms", "retention.bytes", "flush.messages", "flush.ms", "message.timestamp.before.max.ms", "message.timestamp.after.max.ms",
    };

    public static Command Alter(CliContext cli)
    {
        Option<string> data = CommonOptions.Data();
        Option<string> topic = CommonOptions.Topic(description: "The topic to change.");
        var config = new Option<string[]>("--config")
        {
            Description = "A setting with its Kafka name, name=value (-1 for none where a setting may have none); name= puts it " +
                $"back to the default. Repeat for several. Known: {string.Join(", ", TopicConfigSettings.Names)}.",
            HelpName = "NAME=VALUE",
            AllowMultipleArgumentsPerToken = false,
            Required = true,
        };
        var command = new Command("alter", "Change a topic's settings; the running store applies them from its next append, roll or retention check.")
        {
            data, topic, config,
        };
        command.SetAction(async (parsed, ct) =>
        {
            string name = parsed.GetRequiredValue(topic);
            Dictionary<string, string?> changes = ParseChanges(parsed.GetValue(config) ?? []);
            await using Broker broker = await BrokerSession.OpenAsync(parsed.GetRequiredValue(data), create: false, ct).ConfigureAwait(false);
            BrokerSession.GetTopic(broker, name);
            Topic altered = await broker.AlterTopicConfigAsync(name, changes, ct).ConfigureAwait(false);
            string shown = string.Join(',', TopicConfigSettings.Describe(altered.Config)
                .Where(s => changes.ContainsKey(s.Name)).Select(s => $"{s.Name}={s.Value}"));
            await cli.Out.WriteLineAsync($"Altered topic {name}: {shown}.").ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command AddPartitions(CliContext cli)
    {
        Option<string> data = CommonOptions.Data();
        Option<string> topic = CommonOptions.Topic(description: "The topic to grow.");
        Option<int> partitions = CommonOptions.Positive(new Option<int>("--partitions")
        {
            Description = "The total number of partitions after the change (more than now).",
            HelpName = "N",
            Required = true,
        });
        var command = new Command("add-partitions", "Grow a topic to --partitions partitions; a count can only grow.") { data, topic, partitions };
        command.SetAction(async (parsed, ct) =>
        {
            string name = parsed.GetRequiredValue(topic);
            int total = parsed.GetValue(partitions);
            await using Broker broker = await BrokerSession.OpenAsync(parsed.GetRequiredValue(data), create: false, ct).ConfigureAwait(false);
            int before = BrokerSession.GetTopic(broker, name).Partitions.Count;
            await broker.CreatePartitionsAsync(name, total, ct).ConfigureAwait(false);
            await cli.Out.WriteLineAsync($"Topic {name} now has {total} partitions (was {before}).").ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>name=value pairs into the library's changes: an empty value is null (back to the default), -1 is "none".</summary>
    private static Dictionary<string, string?> ParseChanges(IEnumerable<string> pairs)
    {
        var changes = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (string pair in pairs)
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
                throw CommandException.Usage($"--config '{pair}' is not name=value (for example retention.ms=86400000, or retention.ms= for the default)");
            string name = pair[..eq].Trim();
            string value = pair[(eq + 1)..].Trim();
            changes[name] = value.Length == 0 ? null : value == "-1" && s_minusOneIsNone.Contains(name) ? "" : value;
        }
        return changes;
    }
}
