using System.CommandLine;
using System.Net;

namespace LogStore.Tool.Commands;

/// <summary>
/// <c>logstore serve --data DIR --listen HOST:PORT</c>: runs the store as a single-node Kafka-protocol broker until Ctrl+C
/// or SIGTERM, then closes it cleanly, so that kcat and any Kafka client can use it from a shell.
/// </summary>
internal static class ServeCommand
{
    public static Command Create(CliContext cli)
    {
        Option<string> data = CommonOptions.Data();
        var listen = new Option<string>("--listen", "-l")
        {
            Description = "The address to listen on, HOST:PORT (port 0: any free port; the address chosen is printed).",
            DefaultValueFactory = _ => "127.0.0.1:9092",
        };
        var command = new Command("serve",
            "Run the store as a single-node Kafka broker on --listen until Ctrl+C or SIGTERM; creates the data directory when missing.")
        {
            data, listen,
        };
        command.SetAction(async (parsed, ct) =>
        {
            string directory = parsed.GetRequiredValue(data);
            IPEndPoint endpoint = ParseEndpoint(parsed.GetRequiredValue(listen));
            BrokerSession.RequireStoreOrEmpty(directory);
            Broker broker;
            try
            {
                broker = await Broker.OpenAsync(new BrokerOptions
                {
                    DataDirectory = directory,
                    KafkaListener = new KafkaListenerOptions { Endpoint = endpoint },
                }, ct).ConfigureAwait(false);
            }
            catch (KafkaListenerException e)
            {
                throw new CommandException($"cannot listen on {endpoint}: {e.InnerException?.Message ?? e.Message}");
            }
            await using (broker.ConfigureAwait(false))
            {
                await cli.Out.WriteLineAsync($"Serving {Path.GetFullPath(directory)} on {broker.KafkaEndpoint} (Ctrl+C or SIGTERM stops)").ConfigureAwait(false);
                await cli.Out.FlushAsync(ct).ConfigureAwait(false);
                try
                {
                    await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    // How serving ends: the store closes cleanly below.
                }
            }
            await cli.Error.WriteLineAsync("Stopped; the store was closed cleanly.").ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    private static IPEndPoint ParseEndpoint(string text)
    {
        // "localhost:9092" names loopback; IPEndPoint.TryParse takes "127.0.0.1:9092" and "[::1]:9092".
        string normalized = text.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase) ? "127.0.0.1" + text[9..] : text;
        if (IPEndPoint.TryParse(normalized, out IPEndPoint? endpoint) && text.Contains(':', StringComparison.Ordinal))
            return endpoint;
        throw CommandException.Usage($"--listen must be HOST:PORT with an IP address or localhost (for example 127.0.0.1:9092), not '{text}'");
    }
}
