using System.CommandLine;
using System.CommandLine.Parsing;
using LogStore.Storage;
using LogStore.Tool.Repair;

namespace LogStore.Tool.Commands;

/// <summary>
/// <c>logstore repair --data DIR [--topic T [--partition P]]</c>: the explicit operator action that drops damaged bytes
/// a Broker keeps (it never cuts below the recovery point on its own): each damaged segment is cut at its first invalid
/// byte, after everything cut was copied beside it (<see cref="SegmentRepairer"/>). Refuses to run while a Broker holds
/// the directory's lock.
/// </summary>
internal static class RepairCommand
{
    public static Command Create(CliContext cli)
    {
        Option<string> data = CommonOptions.Data();
        Option<string> topic = CommonOptions.Topic(required: false, description: "Repair only the partitions of this topic (all topics when left out).");
        Option<int?> partition = CommonOptions.Partition("Repair only this partition of --topic.");
        var command = new Command("repair",
            "Cut each damaged segment at its first invalid byte, dropping what follows in it; the bytes cut are first copied " +
            "to <segment>.log.cut-<position> beside it. Offsets in the cut bytes then read as missing. The store must not be open.")
        {
            data, topic, partition,
        };
        command.Validators.Add(result =>
        {
            if (result.GetResult(partition) is OptionResult { Implicit: false } && result.GetResult(topic) is not OptionResult { Implicit: false })
                result.AddError("--partition needs --topic.");
        });
        command.SetAction(async (parsed, ct) =>
        {
            string directory = parsed.GetRequiredValue(data);
            if (!Directory.Exists(directory))
                throw new CommandException($"data directory '{directory}' does not exist");
            string? topicName = parsed.GetValue(topic);
            int? partitionNumber = parsed.GetValue(partition);
            using DataDirectoryLock held = DataDirectoryLock.Acquire(directory);
            List<string> partitions = SegmentRepairer.PartitionDirectories(directory, topicName, partitionNumber);
            if (partitions.Count == 0 && topicName is not null)
            {
                throw new CommandException(partitionNumber is int p
                    ? $"unknown partition {p} of topic '{topicName}'"
                    : $"unknown topic '{topicName}'");
            }
            int segments = 0, repaired = 0;
            foreach (string partitionDirectory in partitions)
            {
                foreach (long baseOffset in SegmentRepairer.SegmentBaseOffsets(partitionDirectory))
                {
                    ct.ThrowIfCancellationRequested();
                    segments++;
                    if (SegmentRepairer.Repair(partitionDirectory, baseOffset) is not { } repair)
                        continue;
                    repaired++;
                    await cli.Out.WriteLineAsync($"repaired {repair.LogFile}: cut {repair.BytesCut} bytes at position {repair.Position} " +
                        $"({repair.Reason}); they are kept in {repair.CutFile}").ConfigureAwait(false);
                }
            }
            await cli.Error.WriteLineAsync($"checked {segments} segments of {partitions.Count} partitions: {repaired} repaired").ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }
}
