using System.CommandLine;
using LogStore.Tool.Consuming;

namespace LogStore.Tool.Commands;

/// <summary><c>logstore consume</c>: kafka-console-consumer. Option parsing only; <see cref="ConsoleConsumer"/> consumes.</summary>
internal static class ConsumeCommand
{
    public static Command Create(CliContext cli)
    {
        Option<string> data = CommonOptions.Data();
        Option<string> topic = CommonOptions.Topic(description: "The topic to consume.");
        var fromBeginning = new Option<bool>("--from-beginning")
        {
            Description = "Start at the log start offset (with --group: only where the group has no committed offset).",
        };
        Option<long?> offset = CommonOptions.NonNegative(new Option<long?>("--offset")
        {
            Description = "Start at this offset (of --partition, or of every partition); an offset outside the log is an error.",
            HelpName = "N",
        });
        var time = new Option<DateTimeOffset?>("--time")
        {
            Description = "Start at the first record whose timestamp is at or after this time: Unix milliseconds or ISO 8601 (UTC unless an offset is given).",
            HelpName = "TIME",
            CustomParser = result =>
            {
                string text = result.Tokens[0].Value;
                if (Timestamps.TryParse(text, out DateTimeOffset parsed))
                    return parsed;
                result.AddError($"--time must be Unix milliseconds or an ISO 8601 time such as 2024-05-01T12:00:00Z, not '{text}'.");
                return null;
            },
        };
        var group = new Option<string?>("--group", "-g")
        {
            Description = "Consume as a member of this consumer group: start at its committed offsets and commit where it stopped.",
            HelpName = "GROUP",
        };
        Option<long?> max = CommonOptions.Positive(new Option<long?>("--max", "--max-messages")
        {
            Description = "Stop after this many records.",
            HelpName = "N",
        });
        var format = new Option<OutputFormat>("--format")
        {
            Description = "text: each value on its own line; json: one object per line with topic, partition, offset, timestamp, key, value, headers.",
            DefaultValueFactory = _ => OutputFormat.Text,
        };
        Option<int?> partition = CommonOptions.Partition("Consume only this partition (without a group's assignment).");
        var timeout = new Option<int>("--timeout-ms")
        {
            Description = "At the end of the log, wait this long for new records before exiting; 0 exits at once, -1 waits forever (follow).",
            HelpName = "MS",
            DefaultValueFactory = _ => 0,
        };
        timeout.Validators.Add(result =>
        {
            // From the token: reading the value of one that did not parse throws (its parse error is reported instead).
            if (result.Tokens.Count > 0 && int.TryParse(result.Tokens[^1].Value, out int value) && value < -1)
                result.AddError("--timeout-ms must be -1 (forever), 0 or more.");
        });
        var printKey = new Option<bool>("--print-key") { Description = "In text format, print each record's key, a tab, then its value." };

        var command = new Command("consume", "Print a topic's records (kafka-console-consumer); ends at the end of the log, or after --max.")
        {
            data, topic, fromBeginning, offset, time, group, max, format, partition, timeout, printKey,
        };
        CommonOptions.AtMostOne(command, fromBeginning, offset, time);
        command.SetAction(async (parsed, ct) =>
        {
            var request = new ConsumeRequest(
                parsed.GetRequiredValue(topic),
                parsed.GetValue(group),
                parsed.GetValue(partition),
                parsed.GetValue(fromBeginning),
                parsed.GetValue(offset),
                parsed.GetValue(time),
                parsed.GetValue(max),
                parsed.GetValue(timeout));
            using var writer = new RecordWriter(cli.Out, parsed.GetValue(format), parsed.GetValue(printKey) ? "\t" : null);
            return await ConsoleConsumer.RunAsync(cli, parsed.GetRequiredValue(data), request, writer, ct).ConfigureAwait(false);
        });
        return command;
    }
}
