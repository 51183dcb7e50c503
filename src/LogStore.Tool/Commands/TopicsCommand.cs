using System.CommandLine;
using System.Globalization;
using LogStore.Cluster.Node;

namespace LogStore.Tool.Commands;

/// <summary><c>logstore topics list|create|describe|alter|add-partitions|delete</c>: kafka-topics (and kafka-configs'
/// topic part) for a data directory.</summary>
internal static class TopicsCommand
{
    public static Command Create(CliContext cli) => new("topics", "List, create, describe, alter and delete topics (kafka-topics, kafka-configs).")
    {
        List(cli),
        CreateTopic(cli),
        Describe(cli),
        TopicAlterCommands.Alter(cli),
        TopicAlterCommands.AddPartitions(cli),
        Delete(cli),
    };

    private static Command List(CliContext cli)
    {
        Option<string> data = CommonOptions.Data();
        var excludeInternal = new Option<bool>("--exclude-internal") { Description = "Leave out internal topics such as __consumer_offsets." };
        var command = new Command("list", "Print the name of every topic, one per line.") { data, excludeInternal };
        command.SetAction(async (parsed, ct) =>
        {
            await using Broker broker = await BrokerSession.OpenReadOnlyAsync(parsed.GetRequiredValue(data), ct).ConfigureAwait(false);
            bool skipInternal = parsed.GetValue(excludeInternal);
            foreach (string name in broker.Topics.Select(t => t.Name).Order(StringComparer.Ordinal))
            {
                if (!(skipInternal && InternalTopics.IsInternal(name)))
                    await cli.Out.WriteLineAsync(name).ConfigureAwait(false);
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateTopic(CliContext cli)
    {
        Option<string> data = CommonOptions.Data();
        Option<string> topic = CommonOptions.Topic(description: "The topic to create.");
        Option<int> partitions = CommonOptions.Positive(new Option<int>("--partitions")
        {
            Description = "Number of partitions.",
            HelpName = "N",
            DefaultValueFactory = _ => 1,
        });
        var config = new Option<string[]>("--config")
        {
            Description = $"A topic setting with its Kafka name, name=value; repeat for several. Known: {string.Join(", ", TopicConfigSettings.Names)}.",
            HelpName = "NAME=VALUE",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("create", "Create a topic; creates the data directory when it does not exist.") { data, topic, partitions, config };
        command.SetAction(async (parsed, ct) =>
        {
            string name = parsed.GetRequiredValue(topic);
            TopicConfig settings = TopicConfigSettings.Parse(parsed.GetValue(partitions), parsed.GetValue(config) ?? []);
            await using Broker broker = await BrokerSession.OpenAsync(parsed.GetRequiredValue(data), create: true, ct).ConfigureAwait(false);
            try
            {
                await broker.CreateTopicAsync(name, settings, ct).ConfigureAwait(false);
            }
            catch (ArgumentOutOfRangeException e)
            {
                // The library names the TopicConfig property; the user typed its Kafka name.
                string detail = ErrorReport.OneLine(e.Message.Split(" (Parameter", 2)[0]);
                throw CommandException.Usage($"{TopicConfigSettings.NameOf(e.ParamName)} is out of range: {detail}");
            }
            await cli.Out.WriteLineAsync($"Created topic {name}.").ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Describe(CliContext cli)
    {
        Option<string> data = CommonOptions.Data();
        data.Required = false;
        var bootstrap = new Option<string>("--bootstrap-server")
        {
            Description = "Ask a running node instead (HOST:PORT[,HOST:PORT...], kafka-topics' flag): per partition its leader, leader epoch, replicas, ISR, log start and high watermark.",
            HelpName = "HOST:PORT",
        };
        Option<string> topic = CommonOptions.Topic(required: false, description: "The topic to describe; every topic when left out.");
        var command = new Command("describe", "Show each topic's settings and, per partition, its offsets, segments and size; or a running cluster's leaders, replicas, ISR and high watermarks.")
        {
            data, bootstrap, topic,
        };
        command.Validators.Add(result =>
        {
            bool local = result.GetResult(data) is not null, remote = result.GetResult(bootstrap) is not null;
            if (local == remote)
                result.AddError(local ? "--data and --bootstrap-server cannot be combined: describe a data directory or a running node." : "Option '--data' or '--bootstrap-server' is required.");
        });
        command.SetAction(async (parsed, ct) =>
        {
            if (parsed.GetValue(bootstrap) is string servers)
                return await TopicsDescribeRemote.DescribeAsync(cli.Out, servers, parsed.GetValue(topic), ct).ConfigureAwait(false);
            string directory = parsed.GetRequiredValue(data);
            await using Broker broker = await BrokerSession.OpenReadOnlyAsync(directory, ct).ConfigureAwait(false);
            IEnumerable<Topic> topics = parsed.GetValue(topic) is string name
                ? [BrokerSession.GetTopic(broker, name)]
                : broker.Topics.OrderBy(t => t.Name, StringComparer.Ordinal);
            // A cluster node's directory: its replicas' leader epochs and checkpointed high watermarks matter too.
            bool clusterNode = Directory.Exists(Path.Combine(directory, ClusterNodeServices.ControllerDirectoryName));
            foreach (Topic t in topics)
                await DescribeTopicAsync(cli.Out, t, clusterNode).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task DescribeTopicAsync(TextWriter output, Topic topic, bool clusterNode)
    {
        string configs = string.Join(',', TopicConfigSettings.Describe(topic.Config).Select(s => $"{s.Name}={s.Value}"));
        await output.WriteLineAsync(Invariant($"Topic: {topic.Name}\tPartitionCount: {topic.Partitions.Count}\tReplicationFactor: {topic.Config.ReplicationFactor}\tConfigs: {configs}")).ConfigureAwait(false);
        foreach (Partition partition in topic.Partitions)
        {
            IReadOnlyList<SegmentInfo> segments = partition.Segments;
            long size = segments.Sum(s => s.SizeInBytes);
            string replication = clusterNode ? ReplicationColumns(partition) : "";
            await output.WriteLineAsync(Invariant($"\tTopic: {topic.Name}\tPartition: {partition.Id.Partition}\tLogStartOffset: {partition.LogStartOffset}\tLogEndOffset: {partition.LogEndOffset}{replication}\tSegments: {segments.Count}\tSize: {size}")).ConfigureAwait(false);
            foreach (SegmentInfo segment in segments)
            {
                string largest = segment.LargestTimestamp < 0 ? "-" : Timestamps.Format(segment.LargestTimestamp);
                await output.WriteLineAsync(Invariant($"\t\tSegment: {Path.GetFileName(segment.LogPath)}\tBaseOffset: {segment.BaseOffset}\tNextOffset: {segment.NextOffset}\tSize: {segment.SizeInBytes}\tLargestTimestamp: {largest}")).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The replica's latest leader epoch (leader-epoch-checkpoint) and the high watermark of the last
    /// replication-offset-checkpoint, "-" for none.</summary>
    private static string ReplicationColumns(Partition partition)
    {
        if (partition.IsOffline)
            return "\tLeaderEpoch: -\tHighWatermarkCheckpoint: -";
        int latest = partition.Log.LeaderEpochCache.LatestEpoch;
        string epoch = latest < 0 ? "-" : latest.ToString(CultureInfo.InvariantCulture);
        string highWatermark = partition.Log.LoadedHighWatermark is long hw ? hw.ToString(CultureInfo.InvariantCulture) : "-";
        return $"\tLeaderEpoch: {epoch}\tHighWatermarkCheckpoint: {highWatermark}";
    }

    private static Command Delete(CliContext cli)
    {
        Option<string> data = CommonOptions.Data();
        Option<string> topic = CommonOptions.Topic(description: "The topic to delete, with all its data.");
        var command = new Command("delete", "Delete a topic and all its data.") { data, topic };
        command.SetAction(async (parsed, ct) =>
        {
            string name = parsed.GetRequiredValue(topic);
            // Before the store is even opened: deleting __consumer_offsets would wipe every group's committed offsets.
            if (InternalTopics.IsInternal(name))
            {
                throw new CommandException(InvalidTopicException.ForInternalTopic(name, "delete").Message, ExitCodes.Usage);
            }
            await using Broker broker = await BrokerSession.OpenAsync(parsed.GetRequiredValue(data), create: false, ct).ConfigureAwait(false);
            BrokerSession.GetTopic(broker, name);
            await broker.DeleteTopicAsync(name, ct).ConfigureAwait(false);
            await cli.Out.WriteLineAsync($"Deleted topic {name}.").ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
