using System.CommandLine;
using System.Globalization;
using LogStore.Tool.Mirror;

namespace LogStore.Tool.Commands;

/// <summary>
/// <c>logstore mirror --data DIR --to HOST:PORT --topic T</c>: replays a topic into a Kafka cluster (MirrorMaker for a
/// data directory). Option parsing only; <see cref="TopicMirror"/> mirrors.
/// </summary>
internal static class MirrorCommand
{
    public static Command Create(CliContext cli)
    {
        Option<string> data = CommonOptions.Data();
        var to = new Option<string>("--to")
        {
            Description = "The Kafka cluster to write to, HOST:PORT (Kafka's bootstrap.servers; several separated by commas).",
            HelpName = "HOST:PORT",
            Required = true,
        };
        Option<string> topic = CommonOptions.Topic(description: "The topic to mirror.");
        var targetTopic = new Option<string?>("--target-topic")
        {
            Description = "The topic to write on the cluster (default: the same name).",
            HelpName = "TOPIC",
        };
        var fromBeginning = new Option<bool>("--from-beginning")
        {
            Description = "Start every partition at its log start offset (the default).",
        };
        Option<long?> fromOffset = CommonOptions.NonNegative(new Option<long?>("--from-offset")
        {
            Description = "Start every partition at this offset (one partition: with --partitions P=P).",
            HelpName = "N",
        });
        var fromTimestamp = new Option<DateTimeOffset?>("--from-timestamp")
        {
            Description = "Start every partition at its first record at or after this time: Unix milliseconds or ISO 8601 (UTC unless an offset is given).",
            HelpName = "TIME",
            CustomParser = result =>
            {
                string text = result.Tokens[0].Value;
                if (Timestamps.TryParse(text, out DateTimeOffset parsed))
                    return parsed;
                result.AddError($"--from-timestamp must be Unix milliseconds or an ISO 8601 time such as 2024-05-01T12:00:00Z, not '{text}'.");
                return null;
            },
        };
        var partitions = new Option<string>("--partitions")
        {
            Description = "How partitions map: same (i to i, the default; the target must have as many), modulo (i to i mod the "
                + "target's count), key (the producer's murmur2 partitioner), or SRC=DST,... (only the partitions listed).",
            HelpName = "MAP",
            DefaultValueFactory = _ => "same",
        };
        var properties = new Option<string[]>("--producer-property", "-X")
        {
            Description = "A Confluent (librdkafka) producer property, name=value, over the defaults acks=all and "
                + "enable.idempotence=true: security.protocol, sasl.*, ssl.*, compression.type, message.timeout.ms...",
            HelpName = "NAME=VALUE",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var checkpoint = new Option<string?>("--checkpoint")
        {
            Description = "Keep the position reached in this file and resume from it when it exists (it takes precedence over --from-*).",
            HelpName = "FILE",
        };
        Option<int?> replicationFactor = CommonOptions.Positive(new Option<int?>("--replication-factor")
        {
            Description = "The replication factor of the target topic when the command creates it (default: the cluster's).",
            HelpName = "N",
        });
        var command = new Command("mirror",
            "Replay a topic into a Kafka cluster with Confluent's producer (idempotent, acks=all): keys, values, headers and "
            + "timestamps kept, partition i to partition i; creates the target topic when missing. Reads the store read-only.")
        {
            data, to, topic, targetTopic, fromBeginning, fromOffset, fromTimestamp, partitions, properties, checkpoint, replicationFactor,
        };
        CommonOptions.AtMostOne(command, fromBeginning, fromOffset, fromTimestamp);
        command.SetAction(async (parsed, ct) =>
        {
            string source = parsed.GetRequiredValue(topic);
            int? factor = parsed.GetValue(replicationFactor);
            if (factor > short.MaxValue)
                throw CommandException.Usage($"--replication-factor must be at most {short.MaxValue}");
            var request = new MirrorRequest(
                parsed.GetRequiredValue(data),
                BootstrapServers(parsed.GetRequiredValue(to)),
                source,
                parsed.GetValue(targetTopic) ?? source,
                parsed.GetValue(fromOffset),
                parsed.GetValue(fromTimestamp),
                PartitionMapping.Parse(parsed.GetRequiredValue(partitions)),
                Properties(parsed.GetValue(properties) ?? []),
                parsed.GetValue(checkpoint),
                (short?)factor);
            return await TopicMirror.RunAsync(cli, request, ct).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>The <c>--to</c> value checked: HOST:PORT entries, so a typo fails here, not after librdkafka's timeout.</summary>
    private static string BootstrapServers(string text)
    {
        foreach (string server in text.Split(',', StringSplitOptions.TrimEntries))
        {
            int colon = server.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(server.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port)
                || port is < 1 or > 65535)
            {
                throw CommandException.Usage($"--to must be HOST:PORT (several separated by commas), for example kafka1:9092, not '{text}'");
            }
        }
        return text;
    }

    private static List<KeyValuePair<string, string>> Properties(string[] pairs)
    {
        var properties = new List<KeyValuePair<string, string>>(pairs.Length);
        foreach (string pair in pairs)
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
                throw CommandException.Usage($"-X '{pair}' is not name=value (for example compression.type=zstd)");
            properties.Add(KeyValuePair.Create(pair[..eq].Trim(), pair[(eq + 1)..].Trim()));
        }
        return properties;
    }
}
