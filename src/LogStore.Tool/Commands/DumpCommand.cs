using System.CommandLine;
using LogStore.Tool.Dump;

namespace LogStore.Tool.Commands;

/// <summary><c>logstore dump FILE...</c>: kafka-dump-log for <c>.log</c>, <c>.index</c> and <c>.timeindex</c> files.</summary>
internal static class DumpCommand
{
    public static Command Create(CliContext cli)
    {
        var files = new Argument<string[]>("FILE")
        {
            Description = "Segment files to decode: .log, .index or .timeindex, named by their 20-digit base offset.",
            Arity = ArgumentArity.OneOrMore,
        };
        var printData = new Option<bool>("--print-data-log")
        {
            Description = "For a .log file, print every record (offset, timestamp, key and value sizes, headers, key and payload), not only the batch headers.",
        };
        var command = new Command("dump", "Decode segment files like kafka-dump-log: batch headers with their CRC check, records, index entries. Exit code 3 when damage is found.")
        {
            files, printData,
        };
        command.SetAction(async (parsed, ct) =>
        {
            bool damaged = false;
            foreach (string file in parsed.GetRequiredValue(files))
            {
                ct.ThrowIfCancellationRequested();
                SegmentFileKind kind = SegmentFileKind.Of(file);
                await cli.Out.WriteLineAsync($"Dumping {file}").ConfigureAwait(false);
                DumpReport report = kind.IsLog
                    ? LogFileDumper.Dump(file, kind.BaseOffset, cli.Out, parsed.GetValue(printData))
                    : IndexFileDumper.Dump(file, kind, cli.Out);
                if (report.Problem is string problem)
                {
                    damaged = true;
                    await cli.Error.WriteLineAsync($"error: {file}: {problem}").ConfigureAwait(false);
                }
            }
            return damaged ? ExitCodes.DamagedData : ExitCodes.Success;
        });
        return command;
    }
}
