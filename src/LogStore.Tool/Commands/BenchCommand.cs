using System.CommandLine;
using LogStore.Tool.Bench;

namespace LogStore.Tool.Commands;

/// <summary><c>logstore bench</c>: produce then consume throughput on a scratch topic, like kafka-producer-perf-test
/// and kafka-consumer-perf-test in one go.</summary>
internal static class BenchCommand
{
    public static Command Create(CliContext cli)
    {
        Option<string> data = CommonOptions.Data();
        data.Description = "The data directory to benchmark in (created when missing); a scratch topic is made there and deleted after.";
        Option<long> records = CommonOptions.Positive(new Option<long>("--records", "-n")
        {
            Description = "Records to produce and then consume.",
            HelpName = "N",
            DefaultValueFactory = _ => 1_000_000,
        });
        Option<int> size = CommonOptions.NonNegative(new Option<int>("--size", "-s")
        {
            Description = "Bytes of each record's value (no key).",
            HelpName = "BYTES",
            DefaultValueFactory = _ => 100,
        });
        Option<int> partitions = CommonOptions.Positive(new Option<int>("--partitions")
        {
            Description = "Partitions of the scratch topic.",
            HelpName = "N",
            DefaultValueFactory = _ => 1,
        });
        var compression = new Option<CompressionType>("--compression")
        {
            Description = "Compression of the produced batches (compression.type).",
            DefaultValueFactory = _ => CompressionType.None,
        };
        var keep = new Option<bool>("--keep") { Description = "Keep the scratch topic instead of deleting it." };
        var command = new Command("bench", "Measure produce and consume throughput (records/s, MB/s) with a live progress bar.")
        {
            data, records, size, partitions, compression, keep,
        };
        command.SetAction(async (parsed, ct) =>
        {
            var settings = new BenchSettings(parsed.GetValue(records), parsed.GetValue(size), parsed.GetValue(partitions),
                parsed.GetValue(compression), parsed.GetValue(keep));
            await using Broker broker = await BrokerSession.OpenAsync(parsed.GetRequiredValue(data), create: true, ct).ConfigureAwait(false);
            IReadOnlyList<BenchPhase> phases = await BenchRunner.RunAsync(broker, settings, CliContext.ConsoleFor(cli.Error), ct).ConfigureAwait(false);
            BenchReport.Write(CliContext.ConsoleFor(cli.Out), settings, phases);
            return ExitCodes.Success;
        });
        return command;
    }
}
